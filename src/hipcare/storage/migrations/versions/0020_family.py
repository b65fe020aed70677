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

from hipcare.storage.audit_action_history import (
    ADDED,
    actions_after,
    actions_before,
    replace_audit_action_check,
)

revision: str = "0020_family"
down_revision: str | None = "0019_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)


def upgrade() -> None:
    replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)
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
    quoted = ", ".join(f"'{action}'" for action in ADDED[revision])
    op.execute(sa.text(f"DELETE FROM audit_log WHERE action IN ({quoted})"))  # noqa: S608 -- the frozen history's names
    replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)
