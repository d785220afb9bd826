"""Every tenant table can be distributed by vendor_id (Citus) without rewrites.

For every concrete subclass of TenantModel: a non-null ``vendor`` foreign key, and every
unique constraint and every composite index beginning with ``vendor``. The few global
look-ups that must work before the vendor is known (a secret's hash) are listed with why.
"""

from django.apps import apps
from django.db import models

from partnerhub.tenancy.models import TenantModel

# (model label, field) pairs that are unique across all vendors on purpose.
GLOBAL_LOOKUPS = {
    # An API key is looked up by its hash before we know which vendor sent it.
    ("api.APIKey", "key_hash"): "Bearer key authentication",
    # An invitation link is opened by someone who is not yet a member of any vendor.
    ("tenancy.Invitation", "token_hash"): "invitation accept link",
}


def tenant_models():
    return [
        m
        for m in apps.get_models()
        if issubclass(m, TenantModel) and not m._meta.abstract and not m._meta.proxy
    ]


def test_there_are_tenant_models_to_check():
    labels = {m._meta.label for m in tenant_models()}
    assert {"tenancy.Membership", "api.APIKey", "webhooks.Event", "audit.AuditEntry"} <= labels


def test_every_tenant_model_has_a_non_null_vendor_foreign_key():
    for model in tenant_models():
        field = model._meta.get_field("vendor")
        assert isinstance(field, models.ForeignKey), model
        assert not field.null, f"{model._meta.label}.vendor must be NOT NULL"
        assert field.related_model._meta.label == "tenancy.Vendor"


def test_every_unique_constraint_and_composite_index_starts_with_vendor():
    problems = []
    for model in tenant_models():
        label = model._meta.label
        for constraint in model._meta.constraints:
            fields = list(getattr(constraint, "fields", []) or [])
            if fields and fields[0] != "vendor":
                problems.append(f"{label}: unique {constraint.name} starts with {fields[0]}")
        for index in model._meta.indexes:
            fields = [f.lstrip("-") for f in index.fields]
            if len(fields) > 1 and fields[0] != "vendor":
                problems.append(f"{label}: index {index.name} starts with {fields[0]}")
        for fields in model._meta.unique_together:
            if fields[0] != "vendor":
                problems.append(f"{label}: unique_together {fields} starts with {fields[0]}")
        for field in model._meta.concrete_fields:
            is_global = field.unique and not field.primary_key
            if is_global and (label, field.name) not in GLOBAL_LOOKUPS:
                problems.append(f"{label}.{field.name} is unique across vendors")
    assert not problems, "\n".join(problems)


GLOBAL_COLUMNS = {(label, f"{field}") for label, field in GLOBAL_LOOKUPS}


def test_every_unique_index_in_the_database_starts_with_vendor_id(db):
    """What the migrations (and any raw SQL in them) really created, not only the models."""
    from django.db import connection

    problems = []
    with connection.cursor() as cursor:
        for model in tenant_models():
            cursor.execute(
                """
                SELECT i.relname, a.attname
                FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid
                JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
                WHERE x.indrelid = %s::regclass AND x.indisunique AND NOT x.indisprimary
                """,
                [model._meta.db_table],
            )
            for index, first in cursor.fetchall():
                field = first.removesuffix("_id") if first != "vendor_id" else "vendor"
                if first != "vendor_id" and (model._meta.label, field) not in GLOBAL_COLUMNS:
                    problems.append(f"{model._meta.db_table}: {index} starts with {first}")
    assert not problems, "\n".join(problems)
