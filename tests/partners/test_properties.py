"""Property tests: the CSV import accounts for every row, and re-running it creates nothing;
persona rules compare numbers like numbers."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnerhub.core.actor import Actor
from partners.models import Partnership
from partners.services.imports import partners_import_csv
from programs.selectors import _condition_holds
from tests.factories import ProgramFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='\x00"\r\n,'),
    max_size=20,
)
email = st.one_of(st.emails(), cell, st.just(""), st.just("x" * 250 + "@example.com"))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(email, cell), min_size=1, max_size=30))
def test_import_reports_every_row_once_and_rerun_creates_nothing(vendor, rows):
    program = ProgramFactory(vendor=vendor)
    content = ("email,name\n" + "".join(f"{e},{n}\n" for e, n in rows)).encode()
    first = partners_import_csv(
        vendor=vendor, program_id=program.public_id, content=content, actor=Actor.system()
    )
    assert first.rows_total == len(rows)
    assert first.created_count + first.existing_count + first.refused_count == len(rows)
    assert [entry["row"] for entry in first.report] == list(range(2, len(rows) + 2))
    assert all(entry["reason"] for entry in first.report if entry["outcome"] == "refused")
    created = Partnership.objects.for_vendor(vendor).filter(program=program).count()
    assert created == first.created_count
    again = partners_import_csv(
        vendor=vendor, program_id=program.public_id, content=content, actor=Actor.system()
    )
    assert again.created_count == 0
    assert again.existing_count == first.created_count + first.existing_count
    assert Partnership.objects.for_vendor(vendor).filter(program=program).count() == created


@given(a=st.integers(-(10**6), 10**6), b=st.integers(-(10**6), 10**6))
def test_numeric_rule_conditions_compare_as_numbers(a, b):
    answers = {"size": str(a)}
    assert _condition_holds({"field": "size", "op": "gt", "value": b}, answers) == (a > b)
    assert _condition_holds({"field": "size", "op": "lte", "value": str(b)}, answers) == (a <= b)
