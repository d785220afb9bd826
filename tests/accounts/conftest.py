import pytest
from allauth.account.models import EmailAddress

from tests.factories import UserFactory


@pytest.fixture
def person():
    user = UserFactory(email="person@acme.example")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
