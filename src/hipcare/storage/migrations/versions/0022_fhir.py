"""merge duplicates, command-line audit rows (issue 15, issue 19)

Revision ID: 0022_fhir
Revises: 0021_childpage
Create Date: 2026-12-07 00:10:00

Adds ``children.merged_into_id`` (the child a duplicate was merged into by a site
administrator; the merged record stays, read-only) and ``audit_log.command`` (the command
line run that acted with no hipcare user, such as ``hipcare report``; its ``actor_id`` is 0),
and the audit actions ``child.merged`` and ``registry.exported``. Batch mode rebuilds the
tables on SQLite.
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

revision: str = "0022_fhir"
down_revision: str | None = "0021_childpage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The ids' type as ``hipcare.storage.tables.RECORD_ID`` declares it (64-bit on PostgreSQL).
_RECORD_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)


_CHILD_COLUMNS = (
    "site_id",
    "given_name",
    "family_name",
    "search_key",
    "date_of_birth",
    "gestation_weeks",
    "gmfcs",
    "preferred_language",
    "administrative_sex",
)
"""The columns of ``children`` whose UPDATE bumps ``record_version`` on SQLite (0010_p3)."""
_BUMP = "UPDATE children SET record_version = record_version + 1 WHERE id"


def _sqlite_children_trigger(columns: Sequence[str]) -> str:
    return (
        "CREATE TRIGGER trg_children_record_version_update "
        f"AFTER UPDATE OF {', '.join(columns)} ON children "
        f"BEGIN {_BUMP} = NEW.id; END"
    )


def upgrade() -> None:
    replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)
    op.add_column("audit_log", sa.Column("command", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # PostgreSQL's BEFORE UPDATE trigger (0008) bumps record_version on any column.
        op.add_column("children", sa.Column("merged_into_id", _RECORD_ID, nullable=True))
        op.create_foreign_key(
            op.f("fk_children_merged_into_id_children"),
            "children",
            "children",
            ["merged_into_id"],
            ["id"],
        )
        return
    # SQLite adds the column with its foreign key in place (a batch rebuild of ``children``
    # would break the other tables' triggers that name it), and the UPDATE OF trigger is made
    # again with the new column, so a merge shows on the cached child page.
    op.execute(
        "ALTER TABLE children ADD COLUMN merged_into_id INTEGER "
        "CONSTRAINT fk_children_merged_into_id_children REFERENCES children (id)"
    )
    op.execute("DROP TRIGGER trg_children_record_version_update")
    op.execute(_sqlite_children_trigger((*_CHILD_COLUMNS, "merged_into_id")))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(
            op.f("fk_children_merged_into_id_children"), "children", type_="foreignkey"
        )
        op.drop_column("children", "merged_into_id")
    else:
        # As 0010_p3's downgrade: batch mode rebuilds ``children`` with the legacy rename,
        # which leaves the other tables' triggers as they are; its own trigger is made again.
        op.execute("DROP TRIGGER trg_children_record_version_update")
        op.execute("PRAGMA legacy_alter_table = ON")
        with op.batch_alter_table("children", schema=None) as batch_op:
            batch_op.drop_column("merged_into_id")
        op.execute("PRAGMA legacy_alter_table = OFF")
        op.execute(_sqlite_children_trigger(_CHILD_COLUMNS))
    op.execute(
        sa.text(
            "DELETE FROM audit_log WHERE action IN ('child.merged', 'registry.exported') "
            "OR command IS NOT NULL"
        )
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("command")
    replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)
