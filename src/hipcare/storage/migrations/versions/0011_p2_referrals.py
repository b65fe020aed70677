"""referrals: a child's referrals to the orthopaedic clinic (issue 16)

Revision ID: 0011_p2_referrals
Revises: 0010_p3_identity
Create Date: 2026-12-06 21:50:00

Written by hand, checked against ``storage/referrals.py`` by
``test_migrations_produce_exactly_the_tables_the_code_declares``:

- ``referrals``: who the child is referred to and when, the last day it is on time to be
  seen (``seen_by``, from the local protocol when recorded), and once seen the day and the
  outcome; indexed by child (the worklist asks per child).
- ``alert_deliveries``: the alert outbox, one row per alert emailed to the site's alert
  address (unique alert id: claimed once), 'sending' then 'sent';
- the audit log's actions grow by ``referral.recorded`` and ``referral.seen`` (a CHECK
  autogenerate does not see);
- the record-version triggers of revision 0008 on both new tables: a referral and an
  alert's email are part of the child's record, so cached pages follow them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hipcare.storage.audit_action_history import (
    actions_after,
    actions_before,
    replace_audit_action_check,
)

revision: str = "0011_p2_referrals"
down_revision: str | None = "0010_p3_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)
_BUMP = "UPDATE children SET record_version = record_version + 1 WHERE id"
# New tables that hold part of a child's record -> how a row names its child (as in 0008).
_RECORD_TABLES = {
    "referrals": "{row}.child_id",
    "alert_deliveries": "(SELECT child_id FROM alerts WHERE id = {row}.alert_id)",
}


def _sqlite_triggers(table: str, child: str) -> list[str]:
    new, old = child.format(row="NEW"), child.format(row="OLD")
    return [
        f"CREATE TRIGGER trg_{table}_record_version_insert AFTER INSERT ON {table} "
        f"BEGIN {_BUMP} = {new}; END",
        f"CREATE TRIGGER trg_{table}_record_version_update AFTER UPDATE ON {table} "
        f"BEGIN {_BUMP} IN ({old}, {new}); END",
        f"CREATE TRIGGER trg_{table}_record_version_delete AFTER DELETE ON {table} "
        f"BEGIN {_BUMP} = {old}; END",
    ]


def _postgresql_triggers(table: str, child: str) -> list[str]:
    new, old = child.format(row="NEW"), child.format(row="OLD")
    return [
        f"CREATE FUNCTION hipcare_{table}_record_version() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {_BUMP} = {new}; "
        f"ELSIF TG_OP = 'UPDATE' THEN {_BUMP} IN ({old}, {new}); "
        f"ELSE {_BUMP} = {old}; END IF; "
        "RETURN NULL; END $$",
        f"CREATE TRIGGER trg_{table}_record_version "
        f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION hipcare_{table}_record_version()",
    ]


def upgrade() -> None:
    replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("referred_to", sa.String(length=200), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("seen_by", sa.Date(), nullable=False),
        sa.Column("seen_on", sa.Date(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "surgery planned",
                "watch and wait",
                "declined",
                name=op.f("ck_referrals_outcome"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_referrals_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_referrals_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_child_id"), "referrals", ["child_id"], unique=False)
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_deliveries_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint("alert_id", name=op.f("uq_alert_deliveries_alert_id")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, child in _RECORD_TABLES.items():
        for statement in (
            _postgresql_triggers(table, child) if postgresql else _sqlite_triggers(table, child)
        ):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _RECORD_TABLES:
            op.execute(f"DROP TRIGGER trg_{table}_record_version ON {table}")
            op.execute(f"DROP FUNCTION hipcare_{table}_record_version()")
    op.drop_table("alert_deliveries")
    # SQLite drops a table's triggers with it.
    op.drop_index(op.f("ix_referrals_child_id"), table_name="referrals")
    op.drop_table("referrals")
    op.execute("DELETE FROM audit_log WHERE action LIKE 'referral.%'")
    replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)
