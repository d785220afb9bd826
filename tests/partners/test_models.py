import pytest
from django.db import IntegrityError

from partners.models import Partnership
from partners.stages import Stage, stage_at_least, stage_rank
from tests.factories import (
    ApplicationFactory,
    PartnerFactory,
    PartnershipFactory,
    PartnerUserFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db


def test_stages_are_ordered_interest_to_devotion():
    assert [stage_rank(s) for s in Stage.values] == [0, 1, 2, 3, 4]
    assert stage_at_least(Stage.ACTIVATION, Stage.RECRUITMENT)
    assert not stage_at_least(Stage.INTEREST, Stage.DEVOTION)


def test_one_partner_holds_partnerships_with_two_vendors(vendor, other_vendor):
    partner = PartnerUserFactory().partner
    PartnershipFactory(program=ProgramFactory(vendor=vendor), partner=partner)
    PartnershipFactory(program=ProgramFactory(vendor=other_vendor), partner=partner)
    assert Partnership.objects.for_vendor(vendor).count() == 1
    assert Partnership.objects.for_vendor(other_vendor).count() == 1
    assert Partnership.objects.unscoped().filter(partner=partner).count() == 2


def test_referral_code_is_unique_per_vendor(vendor, other_vendor):
    PartnershipFactory(program=ProgramFactory(vendor=vendor), referral_code="same")
    PartnershipFactory(program=ProgramFactory(vendor=other_vendor), referral_code="same")
    with pytest.raises(IntegrityError):
        PartnershipFactory(program=ProgramFactory(vendor=vendor), referral_code="same")


def test_application_factory_builds_a_pending_application_on_an_applied_partnership(vendor):
    application = ApplicationFactory(partnership__program__vendor=vendor)
    assert application.vendor == vendor
    assert application.partnership.status == Partnership.Status.APPLIED
    assert application.partner == application.partnership.partner
    assert PartnerFactory().public_id.startswith("par_")
