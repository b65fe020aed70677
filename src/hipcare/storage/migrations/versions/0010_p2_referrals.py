"""referrals: a child's referrals to the orthopaedic clinic (issue 16)

Revision ID: 0010_p2_referrals
Revises: 0009
Create Date: 2026-12-06 21:50:00

Written by hand, checked against ``storage/referrals.py`` by
``test_migrations_produce_exactly_the_tables_the_code_declares``:

- ``referrals``: who the child is referred to and when, the last day it is on time to be
  seen (``seen_by``, from the local protocol when recorded), and once seen the day and the
  outcome; indexed by child (the worklist asks per child).
- the audit log's actions grow by ``referral.recorded`` and ``referral.seen`` (a CHECK
  autogenerate does not see);
- the record-version triggers of revision 0008 on the new table: a referral is part of the
  child's record, so the cached child page follows it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_p2_referrals"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIONS_BEFORE = (
    "child.registered",
    "child.read",
    "child.listed",
    "visit.recorded",
    "access.denied",
    "child.updated",
    "visit.updated",
    "child.exported",
    "operation.planned",
    "operation.postponed",
    "pathway.started",
    "care-item.ticked",
    "alert.acknowledged",
    "family.invited",
    "invitation.accepted",
    "care-plan.read",
    "diary.recorded",
    "diary.read",
    "alert.raised",
    "calendar-link.changed",
    "calendar.read",
    "reminder.sent",
    "radiograph.stored",
    "radiograph.read",
    "radiograph.measured",
)
_ACTIONS_AFTER = (*_ACTIONS_BEFORE, "referral.recorded", "referral.seen")
_BUMP = "UPDATE children SET record_version = record_version + 1 WHERE id"


def _actions(new: Sequence[str], old: Sequence[str]) -> None:
    def choice(values: Sequence[str]) -> sa.Enum:
        return sa.Enum(
            *values,
            name=op.f("ck_audit_log_action"),
            native_enum=False,
            create_constraint=True,
            length=32,
        )

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column(
            "action", existing_type=choice(old), type_=choice(new), existing_nullable=False
        )


def upgrade() -> None:
    _actions(_ACTIONS_AFTER, _ACTIONS_BEFORE)
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION hipcare_referrals_record_version() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'INSERT' THEN {_BUMP} = NEW.child_id; "
            f"ELSIF TG_OP = 'UPDATE' THEN {_BUMP} IN (OLD.child_id, NEW.child_id); "
            f"ELSE {_BUMP} = OLD.child_id; END IF; "
            "RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER trg_referrals_record_version "
            "AFTER INSERT OR UPDATE OR DELETE ON referrals "
            "FOR EACH ROW EXECUTE FUNCTION hipcare_referrals_record_version()"
        )
    else:
        op.execute(
            "CREATE TRIGGER trg_referrals_record_version_insert AFTER INSERT ON referrals "
            f"BEGIN {_BUMP} = NEW.child_id; END"
        )
        op.execute(
            "CREATE TRIGGER trg_referrals_record_version_update AFTER UPDATE ON referrals "
            f"BEGIN {_BUMP} IN (OLD.child_id, NEW.child_id); END"
        )
        op.execute(
            "CREATE TRIGGER trg_referrals_record_version_delete AFTER DELETE ON referrals "
            f"BEGIN {_BUMP} = OLD.child_id; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER trg_referrals_record_version ON referrals")
        op.execute("DROP FUNCTION hipcare_referrals_record_version()")
    # SQLite drops a table's triggers with it.
    op.drop_index(op.f("ix_referrals_child_id"), table_name="referrals")
    op.drop_table("referrals")
    op.execute("DELETE FROM audit_log WHERE action LIKE 'referral.%'")
    _actions(_ACTIONS_BEFORE, _ACTIONS_AFTER)
