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

from hipcare.storage.audit_action_history import (
    actions_after,
    actions_before,
    replace_audit_action_check,
)

revision: str = "0017_pacs"
down_revision: str | None = "0016_sso"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)


def upgrade() -> None:
    replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM audit_log WHERE action IN ('pacs.searched', 'pacs.pull-refused')")
    )
    replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)
