"""family language: the invitation's and the calendar link's language, the link to show again

Revision ID: 0013_p4
Revises: 0012_p1
Create Date: 2026-12-06 21:50:00

Written by hand (issue 17), checked against ``tables.py`` by
``test_migrations_produce_exactly_the_tables_the_code_declares``:

- ``family_invitations.language``: the language the clinician chose for the invitation
  (the invitation page and email are in it); NULL for older rows (the child's language).
- ``calendar_feeds.language``: the language the family member had chosen when making the
  link; a calendar app sends no cookie, so the feed cannot learn it from the request (the
  feed came out in the child's language for a parent who chose English). NULL for older
  rows (the child's language, as before).
- ``audit_log.action`` may be ``care-item.unticked`` (a family undoing its tick; the CHECK
  constraint is replaced in batch mode as in 0005; the downgrade deletes those rows first).
- ``calendar_feeds.token``: the link's token, so the "Add to my calendar" link stays on the
  family's page instead of being shown once. The token reads only the dates of the plan
  the same database holds; rows made before this revision keep NULL (make a new link).
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

revision: str = "0013_p4"
down_revision: str | None = "0012_p1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)


_COLUMNS = (
    ("family_invitations", "language", 35),
    ("calendar_feeds", "language", 35),
    ("calendar_feeds", "token", 64),
)


def upgrade() -> None:
    # Plain ALTER TABLE, not batch mode: a SQLite batch rebuild would drop the
    # record-version triggers revision 0008 put on family_invitations.
    for table, column, length in _COLUMNS:
        op.add_column(table, sa.Column(column, sa.String(length=length), nullable=True))
    replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM audit_log WHERE action = 'care-item.unticked'")
    replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)
    # ALTER TABLE ... DROP COLUMN: PostgreSQL, and SQLite from 3.35 (no rebuild, as above).
    for table, column, _ in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
