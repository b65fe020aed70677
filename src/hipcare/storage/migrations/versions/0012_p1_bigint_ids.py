"""64-bit ids on PostgreSQL: every id and every column that refers to one (audit_log.id too)

Revision ID: 0012_p1
Revises: 0011_p2_referrals
Create Date: 2026-12-06 22:00:00

Written by hand (issue 13), checked against ``tables.py`` by
``test_migrations_produce_exactly_the_tables_the_code_declares``. PostgreSQL's ``integer``
ids overflowed at 2,147,483,647 while the paths accept any positive 64-bit id (a larger one
was a 500), and the audit log gains a row per child the worklist lists. Each ``SERIAL``
sequence is widened too (since PostgreSQL 10 a serial's sequence is ``AS integer``).

SQLite needs nothing: an ``INTEGER PRIMARY KEY`` is the 64-bit rowid and its integers hold
64 bits (the tables keep ``INTEGER`` there, ``RECORD_ID`` in ``tables.py``). The downgrade
narrows the columns again (it fails if an id no longer fits, which is what it should do).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_p1"
down_revision: str | None = "0011_p2_referrals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "alert_deliveries": ("id", "alert_id"),
    "alerts": ("id", "child_id", "acknowledged_by"),
    "audit_log": ("id", "actor_id"),
    "calendar_feeds": ("user_id", "child_id"),
    "care_plan_items": ("id", "operation_plan_id", "done_by"),
    "children": ("id",),
    "diary_entries": ("id", "child_id", "recorded_by", "alert_id"),
    "diary_photos": ("id", "diary_entry_id"),
    "external_identifiers": ("id", "entity_id"),
    "family_contacts": ("id", "child_id"),
    "family_invitations": ("child_id", "invited_by", "accepted_by"),
    "family_links": ("user_id", "child_id"),
    "hip_measures": ("id", "visit_id"),
    "hospital_numbers": ("id", "child_id"),
    "operation_plans": ("id", "child_id", "surgeon_id"),
    "page_generation": ("id",),
    "pain_descriptors": ("child_id",),
    "radiograph_readings": ("id", "radiograph_id", "measured_by", "visit_id"),
    "radiographs": ("id", "child_id", "stored_by"),
    "referrals": ("id", "child_id", "recorded_by"),
    "reminder_deliveries": ("id", "care_plan_item_id", "recipient_id"),
    "sign_in_failures": ("id",),
    "site_memberships": ("user_id",),
    "surveillance_status": ("child_id",),
    "users": ("id",),
    "visits": ("id", "child_id", "recorded_by"),
    "web_sessions": ("user_id",),
}
"""Every id column and every column naming an id, by table."""


def _retype(to: sa.types.TypeEngine[int], sequence_type: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, columns in _ID_COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=to)
        if "id" in columns:
            sequence = bind.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}
            ).scalar()
            if sequence is not None:
                op.execute(f"ALTER SEQUENCE {sequence} AS {sequence_type}")


def upgrade() -> None:
    _retype(sa.BigInteger(), "bigint")


def downgrade() -> None:
    _retype(sa.Integer(), "integer")
