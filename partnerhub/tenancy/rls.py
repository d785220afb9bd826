"""PostgreSQL row-level security on every tenant table: defence in depth under the
fail-closed managers.

The database side (installed after every ``migrate`` by :func:`rls_install`, for every
``TenantModel`` subclass, so a new tenant table is covered without anyone remembering it):

* each tenant table has ``ROW LEVEL SECURITY`` enabled and one policy: a row is visible and
  writable only when its ``vendor_id`` equals the transaction setting ``partnerhub.vendor_id``,
  or when the transaction says ``partnerhub.rls_bypass = on``. Without either setting a query
  sees no tenant row at all (fail closed);
* the policy binds the non-superuser application role (``DATABASE_APP_ROLE``, default
  ``partnerhub_app``, NOBYPASSRLS) that web and worker processes use. Migrations run as the
  tables' owner, which RLS does not restrict: that is the migrations' bypass.

The application side (:func:`rls_execute_wrapper`, on every connection): each DML statement
is prefixed with ``set_config(..., is_local => true)`` so the settings hold for exactly that
statement's transaction, with no state left on a pooled connection:

* a vendor in scope (dashboard request, API request, ``vendor_task``) → ``vendor_id`` is
  that vendor: even ``unscoped()`` or raw SQL then sees only its rows;
* no vendor in scope (log-in, vendor picker, platform admin, cross-tenant jobs such as a
  fan-out) or inside :func:`rls_bypass` → ``rls_bypass = on``: the application is trusted
  there and the fail-closed managers remain the guard.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

from partnerhub.tenancy.context import get_current_vendor

logger = logging.getLogger(__name__)

VENDOR_SETTING = "partnerhub.vendor_id"
BYPASS_SETTING = "partnerhub.rls_bypass"
POLICY_NAME = "partnerhub_tenant_isolation"
_DML = re.compile(r"^[\s(]*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)

_bypass: ContextVar[bool] = ContextVar("partnerhub_rls_bypass", default=False)


@contextlib.contextmanager
def rls_bypass() -> Iterator[None]:
    """Read across tenants while a vendor is in scope (e.g. the user's own vendor list).
    Name the reason at the call site: this is the database-level ``unscoped()``."""
    token = _bypass.set(True)
    try:
        yield
    finally:
        _bypass.reset(token)


def rls_prefix() -> str:
    vendor = get_current_vendor()
    if vendor is None or _bypass.get():
        return f"SELECT set_config('{BYPASS_SETTING}', 'on', true); "
    return (
        f"SELECT set_config('{BYPASS_SETTING}', '', true), "
        f"set_config('{VENDOR_SETTING}', '{int(vendor.pk)}', true); "
    )


def rls_execute_wrapper(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    # DDL and utility statements (CREATE DATABASE, VACUUM…) may not run in a multi-statement
    # string, and never read tenant rows anyway.
    if _DML.match(sql):
        sql = rls_prefix() + sql
    return execute(sql, params, many, context)


def on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor != "postgresql" or not settings.DATABASE_RLS:
        return
    if rls_execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(rls_execute_wrapper)
    role = getattr(settings, "DATABASE_SESSION_ROLE", "")
    if role:  # connect as one role, act as the (RLS-bound) application role
        with connection.connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{role}"')


def tenant_tables() -> list[str]:
    from partnerhub.tenancy.models import TenantModel

    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models()
            if issubclass(model, TenantModel) and model._meta.managed and not model._meta.proxy
        }
    )


def _policy_sql(table: str) -> str:
    check = (
        f"current_setting('{BYPASS_SETTING}', true) = 'on' OR "
        f"vendor_id = NULLIF(current_setting('{VENDOR_SETTING}', true), '')::bigint"
    )
    return (
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY; '
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"; '
        f'CREATE POLICY {POLICY_NAME} ON "{table}" USING ({check}) WITH CHECK ({check});'
    )


def rls_install(*, connection: BaseDatabaseWrapper) -> list[str]:
    """Create the application role if missing, grant it DML on every table, and put the
    tenant policy on every tenant table. Idempotent; runs after every ``migrate``."""
    role = settings.DATABASE_APP_ROLE
    tables = tenant_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        )
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute(
                f'DO $$ BEGIN CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS; '
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;"
            )
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            # The migrating role may not create roles (managed databases): the DBA creates
            # it once (docs/security.md); until then the policies still fail closed.
            logger.warning("row-level security: role %s does not exist, no grants made", role)
        else:
            cursor.execute(
                f'GRANT USAGE ON SCHEMA public TO "{role}"; '
                f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"; '
                f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}";'
            )
        for table in tables:
            cursor.execute(_policy_sql(table))
    return tables


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    if sender.label != "tenancy" or not settings.DATABASE_RLS:
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # A flush in the tests also sends post_migrate, as the application role: only the
        # owner of the tables (migrations) installs policies.
        cursor.execute(
            "SELECT bool_and(pg_has_role(current_user, tableowner, 'USAGE')) "
            "FROM pg_tables WHERE schemaname = 'public'"
        )
        row = cursor.fetchone()
    if row and row[0]:
        rls_install(connection=connection)
