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

from hipcare.storage.audit_action_history import (
    actions_after,
    actions_before,
    replace_audit_action_check,
)

revision: str = "0015_clinical"
down_revision: str | None = "0014_p7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("examination", sa.JSON(), nullable=True))
    replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch rebuild of ``visits`` would
    # trip the record-version triggers that name it.
    op.execute(sa.text("ALTER TABLE visits DROP COLUMN examination"))
    op.execute(sa.text("DELETE FROM audit_log WHERE action = 'operation.done'"))
    replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)
