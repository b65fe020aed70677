"""operation outcomes: stay, complications, readmissions, re-operations (issue 19)

Revision ID: 0014_p7
Revises: 0013_p4
Create Date: 2026-12-06 21:55:00

Written from hipcare/storage/tables.py as autogenerate would, then given the CHECK change
autogenerate does not see: the audit log's actions grow by ``outcome.recorded``,
``outcome.read`` and ``site-report.read``. Batch mode rebuilds the audit log on SQLite.
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

revision: str = "0014_p7"
down_revision: str | None = "0013_p4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The ids' type as ``hipcare.storage.tables.RECORD_ID`` declares it (64-bit on PostgreSQL, 0012_p1).
_RECORD_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)


def _child_table(name: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("id", _RECORD_ID, nullable=False),
        sa.Column("operation_plan_id", _RECORD_ID, nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["operation_plan_id"],
            ["operation_outcomes.operation_plan_id"],
            name=op.f(f"fk_{name}_operation_plan_id_operation_outcomes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f(f"ix_{name}_operation_plan_id"), ["operation_plan_id"], unique=False
        )


def upgrade() -> None:
    replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)
    op.create_table(
        "operation_outcomes",
        sa.Column("operation_plan_id", _RECORD_ID, autoincrement=False, nullable=False),
        sa.Column("admission_date", sa.Date(), nullable=True),
        sa.Column("discharge_date", sa.Date(), nullable=True),
        sa.Column(
            "return_to_theatre",
            sa.Boolean(
                create_constraint=True, name=op.f("ck_operation_outcomes_return_to_theatre")
            ),
            nullable=True,
        ),
        sa.Column("plate_removal_date", sa.Date(), nullable=True),
        sa.Column("recorded_by", _RECORD_ID, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_plan_id"],
            ["operation_plans.id"],
            name=op.f("fk_operation_outcomes_operation_plan_id_operation_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_operation_outcomes_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("operation_plan_id", name=op.f("pk_operation_outcomes")),
    )
    _child_table(
        "operation_complications",
        sa.Column(
            "grade",
            sa.Enum(
                "I",
                "II",
                "III",
                "IVa",
                "IVb",
                "V",
                name=op.f("ck_operation_complications_grade"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("complication_date", sa.Date(), nullable=False),
    )
    _child_table(
        "operation_readmissions",
        sa.Column("readmission_date", sa.Date(), nullable=False),
    )
    _child_table(
        "operation_reoperations",
        sa.Column(
            "side",
            sa.Enum(
                "right",
                "left",
                name=op.f("ck_operation_reoperations_side"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reoperation_date", sa.Date(), nullable=False),
    )


def downgrade() -> None:
    for name in ("operation_reoperations", "operation_readmissions", "operation_complications"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_operation_plan_id"))
        op.drop_table(name)
    op.drop_table("operation_outcomes")
    op.execute(
        sa.text(
            "DELETE FROM audit_log WHERE action IN "
            "('outcome.recorded', 'outcome.read', 'site-report.read')"
        )
    )
    replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)
