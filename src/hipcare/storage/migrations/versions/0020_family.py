"""the family's journey, second pass (issue 17): plan start, postponement, day of surgery

Revision ID: 0020_family
Revises: 0019_accounts
Create Date: 2026-12-07 00:20:00

Adds to ``operation_plans``: ``pathway_started_on`` (date; no task is due before it),
``postponed_from`` (date) and ``postponed_at`` (timestamp) of the last postponement (the
family's banner), and ``day_of_surgery`` (JSON: fasting stops, arrival time and place, what
to bring). The audit log's actions grow by ``care-item.reopened``, ``postponement.emailed``
and ``day-of-surgery.set``; batch mode rebuilds the audit log on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_family"
down_revision: str | None = "0019_accounts"
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
    "referral.recorded",
    "referral.seen",
    "care-item.unticked",
    "outcome.recorded",
    "outcome.read",
    "site-report.read",
    # added by migrations re-chained before 0020_family
    "operation.done",
    "user.signed-in",
    "user.created",
    "user.access-changed",
    "pacs.searched",
    "pacs.pull-refused",
    "alert-routes.changed",
    "alert-routes.read",
    "audit-log.read",
    "staff.listed",
    "staff.invited",
    "staff.updated",
    "staff.deactivated",
    "staff.reactivated",
    "password.set",
    "password.changed",
    "password.reset-requested",
    "password.reset",
    "password.rehashed",
    "second-factor.enrolled",
    "second-factor.refused",
    "recovery-code.used",
)
_NEW_ACTIONS = ("care-item.reopened", "postponement.emailed", "day-of-surgery.set")
_ACTIONS_AFTER = (*_ACTIONS_BEFORE, *_NEW_ACTIONS)


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
    with op.batch_alter_table("operation_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pathway_started_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("postponed_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("postponed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("day_of_surgery", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch rebuild of
    # operation_plans on SQLite would break the record-version triggers that name it.
    for column in ("day_of_surgery", "postponed_at", "postponed_from", "pathway_started_on"):
        op.execute(sa.text(f"ALTER TABLE operation_plans DROP COLUMN {column}"))
    quoted = ", ".join(f"'{action}'" for action in _NEW_ACTIONS)
    op.execute(sa.text(f"DELETE FROM audit_log WHERE action IN ({quoted})"))  # noqa: S608 -- constants only
    _audit_actions(_ACTIONS_BEFORE)
