"""A commission whose hold is over may go straight from ``pending`` to ``in_payout``.

A payout run used to release every commission past its hold (pending → available, one row
version per commission) and then link the ones it pays (available → in_payout, a second
one). It now pays those in one UPDATE, so the guard of ``0006`` accepts
``pending → in_payout`` too, but only for a commission whose ``available_at`` has passed
(checked against the transaction's time): the hold still cannot be skipped. Every other rule
and message is unchanged.
"""

import importlib

from django.db import migrations

_0006 = importlib.import_module("payouts.migrations.0006_statement_level_ledger_guard")

_OLD_RULE = "(o.status = 'pending' AND n.status IN ('available', 'reversed'))"
_NEW_RULE = (
    "(o.status = 'pending' AND n.status IN ('available', 'reversed'))\n"
    "               OR (o.status = 'pending' AND n.status = 'in_payout'"
    " AND o.available_at <= now())"
)
assert _OLD_RULE in _0006.SQL
SQL = _0006.SQL.replace(_OLD_RULE, _NEW_RULE)


class Migration(migrations.Migration):
    dependencies = [("payouts", "0007_merge_list_index_and_lean_ledger")]

    operations = [migrations.RunSQL(SQL, _0006.SQL)]
