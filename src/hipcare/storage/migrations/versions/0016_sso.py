"""single sign-on: users linked to an OpenID provider's person, sign-on audit actions (issue 18)

Revision ID: 0016_sso
Revises: 0015_clinical
Create Date: 2026-12-06 23:55:00

Written from hipcare/storage/tables.py as autogenerate would, then given the CHECK change
autogenerate does not see: ``users`` gains ``oidc_issuer`` and ``oidc_subject`` (both
nullable, unique together as ``uq_users_oidc_issuer_oidc_subject``), and the audit log's
actions grow by ``user.signed-in``, ``user.created`` and ``user.access-changed``. Batch mode
rebuilds both tables on SQLite.
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

revision: str = "0016_sso"
down_revision: str | None = "0015_clinical"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)


def _restore_sqlite_user_triggers() -> None:
    """Batch mode rebuilds ``users`` on SQLite, which drops its triggers: made again exactly
    as 0008 made them (every change to the staff moves the page generation, ADR 10)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    bump = "UPDATE page_generation SET generation = generation + 1 WHERE id = 1"
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS trg_users_page_generation_{event.lower()} "
            f"AFTER {event} ON users BEGIN {bump}; END"
        )


def upgrade() -> None:
    replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_oidc_issuer_oidc_subject"), ["oidc_issuer", "oidc_subject"]
        )
    _restore_sqlite_user_triggers()


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_oidc_issuer_oidc_subject"), type_="unique")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("oidc_issuer")
    _restore_sqlite_user_triggers()
    actions = ", ".join(f"'{action}'" for action in ADDED[revision])
    op.execute(sa.text(f"DELETE FROM audit_log WHERE action IN ({actions})"))  # noqa: S608 -- the frozen history's names
    replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)
