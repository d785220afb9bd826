"""The customers page reads its newest 50 customers from ``(vendor, created_at, id)`` instead
of sorting all of the vendor's customers (~100 ms for 20,000)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0006_merge_partnership_notes"),
        ("payouts", "0009_ledger_month"),
        ("tenancy", "0002_vendor_require_mfa_for_owners"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["vendor", "created_at", "id"], name="payouts_cus_vendor_created"
            ),
        ),
    ]
