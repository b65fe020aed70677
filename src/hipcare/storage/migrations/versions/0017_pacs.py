"""films from PACS: the audit log's actions grow by ``pacs.searched`` and ``pacs.pull-refused``

Revision ID: 0017_pacs
Revises: 0016_sso
Create Date: 2026-12-06 23:55:00

Only the CHECK constraint of ``audit_log.action`` changes (autogenerate does not see it);
batch mode rebuilds the audit log on SQLite. No table or column is added.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_pacs"
down_revision: str | None = "0016_sso"
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
    # added by migrations re-chained before 0017_pacs
    "operation.done",
    "user.signed-in",
    "user.created",
    "user.access-changed",
)
_ACTIONS_AFTER = (*_ACTIONS_BEFORE, "pacs.searched", "pacs.pull-refused")


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
    _audit_actions(_ACTIONS_AFTER)


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM audit_log WHERE action IN ('pacs.searched', 'pacs.pull-refused')")
    )
    _audit_actions(_ACTIONS_BEFORE)
