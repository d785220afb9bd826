"""Row-level security: the database itself keeps tenants apart, under the managers."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from partnerhub.api.models import APIKey
from partnerhub.audit.models import AuditEntry
from partnerhub.tenancy.context import vendor_scope
from partnerhub.tenancy.models import Membership, Role
from partnerhub.tenancy.rls import POLICY_NAME, rls_bypass, tenant_tables
from tests.factories import AuditEntryFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_tenants(vendor, other_vendor):
    MembershipFactory(vendor=vendor)
    MembershipFactory(vendor=other_vendor)
    MembershipFactory(vendor=other_vendor)
    AuditEntryFactory(vendor=other_vendor)
    return vendor, other_vendor


def _raw(sql: str, params: list | None = None):
    """A query on the bare driver cursor: no Django wrapper, so no setting is added."""
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _forget_settings() -> None:
    # Statements earlier in this (test) transaction set the values locally; clear them.
    _raw(
        "SELECT set_config('partnerhub.rls_bypass', '', true), "
        "set_config('partnerhub.vendor_id', '', true)"
    )


def test_the_suite_runs_as_a_role_that_row_level_security_binds():
    [(user, superuser, bypass)] = _raw(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert user == "partnerhub_app"
    assert (superuser, bypass) == (False, False)


def test_every_tenant_table_has_the_policy():
    tables = tenant_tables()
    assert {"tenancy_membership", "tenancy_invitation", "api_apikey", "audit_auditentry"} <= set(
        tables
    )
    rows = dict(
        _raw(
            "SELECT c.relname, c.relrowsecurity AND EXISTS (SELECT 1 FROM pg_policies p "
            "WHERE p.tablename = c.relname AND p.policyname = %s) "
            "FROM pg_class c WHERE c.relname = ANY(%s)",
            [POLICY_NAME, tables],
        )
    )
    assert rows == dict.fromkeys(tables, True)


def test_a_raw_query_without_the_setting_sees_no_tenant_rows(two_tenants):
    _, other_vendor = two_tenants
    _forget_settings()
    assert _raw("SELECT count(*) FROM tenancy_membership") == [(0,)]
    assert _raw("SELECT count(*) FROM audit_auditentry") == [(0,)]
    assert _raw("SELECT count(*) FROM tenancy_vendor") == [(2,)]  # not a tenant table

    _raw("SELECT set_config('partnerhub.vendor_id', %s, true)", [str(other_vendor.pk)])
    assert _raw("SELECT DISTINCT vendor_id FROM tenancy_membership") == [(other_vendor.pk,)]
    assert _raw("SELECT count(*) FROM tenancy_membership") == [(2,)]

    _raw("SELECT set_config('partnerhub.rls_bypass', 'on', true)")
    assert _raw("SELECT count(*) FROM tenancy_membership") == [(3,)]


def test_inside_a_vendor_scope_even_unscoped_and_raw_sql_see_only_that_vendor(two_tenants):
    vendor, other_vendor = two_tenants
    assert Membership.objects.unscoped().count() == 3  # no scope: the application is trusted
    with vendor_scope(vendor):
        assert set(Membership.objects.unscoped().values_list("vendor_id", flat=True)) == {vendor.pk}
        assert not AuditEntry.objects.unscoped().filter(vendor=other_vendor).exists()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tenancy_membership")
            assert cursor.fetchone() == (1,)
        with rls_bypass():  # the explicit, named way across tenants
            assert Membership.objects.unscoped().count() == 3


def test_inside_a_vendor_scope_another_vendors_row_cannot_be_written(two_tenants):
    vendor, other_vendor = two_tenants
    with vendor_scope(vendor):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Membership.objects_unscoped.create(
                vendor=other_vendor, user=UserFactory(), role=Role.OWNER
            )
        updated = Membership.objects.unscoped().filter(vendor=other_vendor).update(role="viewer")
        assert updated == 0
    assert not Membership.objects.for_vendor(other_vendor).filter(role="viewer").exists()


def test_a_new_tenant_table_would_be_covered_without_a_migration_of_its_own():
    # The policy is installed for every TenantModel subclass after every migrate, so the
    # list follows the models: e.g. API keys (another app) are covered.
    assert APIKey._meta.db_table in tenant_tables()


def test_dml_statements_carry_the_settings_and_ddl_does_not():
    from partnerhub.tenancy.rls import rls_execute_wrapper

    seen = []

    def execute(sql, params, many, context):
        seen.append(sql)

    for sql in ["SELECT 1", "(SELECT 1) UNION (SELECT 2)", "with x as (select 1) select 1"]:
        rls_execute_wrapper(execute, sql, None, False, {})
        assert seen.pop().startswith("SELECT set_config('partnerhub.rls_bypass', 'on', true); ")
    rls_execute_wrapper(execute, "CREATE INDEX CONCURRENTLY i ON t (c)", None, False, {})
    assert seen.pop() == "CREATE INDEX CONCURRENTLY i ON t (c)"


def test_compose_web_and_workers_act_as_the_application_role_and_migrations_do_not():
    from tests.test_docker_compose import load

    services = load()["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_SESSION_ROLE"] == "partnerhub_app"
    assert services["migrate"]["environment"]["DATABASE_SESSION_ROLE"] == ""
