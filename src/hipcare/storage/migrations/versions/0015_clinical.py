"""examination findings on visits; operations marked done (issue 14)

Revision ID: 0015_clinical
Revises: 0014_p7
Create Date: 2026-12-07 00:40:00

``visits.examination`` (JSON, nullable) keeps a visit's examination findings. An operation
marked done is the existing ``operation_plans.status`` value ``done``; the audit log's CHECK
grows by ``operation.done``. Batch mode rebuilds the tables on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_clinical"
down_revision: str | None = "0014_p7"
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
    # added by 0011_p2_referrals and 0013_p4
    "referral.recorded",
    "referral.seen",
    "care-item.unticked",
    # added by 0014_p7
    "outcome.recorded",
    "outcome.read",
    "site-report.read",
)
_ACTIONS_AFTER = (*_ACTIONS_BEFORE, "operation.done")


def _choice(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=op.f(name), native_enum=False, create_constraint=True, length=32)


def _audit_actions(actions: Sequence[str]) -> None:
    old_actions = _ACTIONS_AFTER if actions is _ACTIONS_BEFORE else _ACTIONS_BEFORE
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column(
            "action",
            existing_type=_choice(old_actions, "ck_audit_log_action"),
            type_=_choice(actions, "ck_audit_log_action"),
            existing_nullable=False,
        )


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("examination", sa.JSON(), nullable=True))
    _audit_actions(_ACTIONS_AFTER)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch rebuild of ``visits`` would
    # trip the record-version triggers that name it.
    op.execute(sa.text("ALTER TABLE visits DROP COLUMN examination"))
    op.execute(sa.text("DELETE FROM audit_log WHERE action = 'operation.done'"))
    _audit_actions(_ACTIONS_BEFORE)
