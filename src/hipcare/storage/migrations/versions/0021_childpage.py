"""provisional and confirmed readings; overlays drawn when a reading is saved (issue 16)

Revision ID: 0021_childpage
Revises: 0020_family
Create Date: 2026-12-06 23:55:00

Written from hipcare/storage/tables.py as autogenerate would, then given the CHECK change
autogenerate does not see: the audit log's actions grow by ``radiograph.confirmed``.
``radiograph_readings`` gains who confirmed a reading, when and how (a surgeon, or an
agreeing second reading); ``radiograph_overlays`` keeps each reading's small overlay image,
drawn once when the reading is saved. Batch mode rebuilds the tables on SQLite.
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

revision: str = "0021_childpage"
down_revision: str | None = "0020_family"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The ids' type as ``hipcare.storage.tables.RECORD_ID`` declares it (64-bit on PostgreSQL, 0012_p1).
_RECORD_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)


_BUMP = "UPDATE children SET record_version = record_version + 1 WHERE id"
_READING_CHILD = "(SELECT child_id FROM radiographs WHERE id = {row}.radiograph_id)"


def _sqlite_triggers(table: str, child: str) -> list[str]:
    new, old = child.format(row="NEW"), child.format(row="OLD")
    return [
        f"CREATE TRIGGER IF NOT EXISTS trg_{table}_record_version_insert AFTER INSERT ON {table} "
        f"BEGIN {_BUMP} = {new}; END",
        f"CREATE TRIGGER IF NOT EXISTS trg_{table}_record_version_update AFTER UPDATE ON {table} "
        f"BEGIN {_BUMP} IN ({old}, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS trg_{table}_record_version_delete AFTER DELETE ON {table} "
        f"BEGIN {_BUMP} = {old}; END",
    ]


def _sqlite_reading_triggers() -> None:
    """Batch mode rebuilt ``radiograph_readings`` on SQLite, dropping the record-version
    triggers of 0008 with the old table: create them again (PostgreSQL altered in place)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in _sqlite_triggers("radiograph_readings", _READING_CHILD):
        op.execute(statement)


def upgrade() -> None:
    replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)
    with op.batch_alter_table("radiograph_readings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_by", _RECORD_ID, nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "confirmation",
                sa.Enum(
                    "surgeon",
                    "second-reading",
                    name=op.f("ck_radiograph_readings_confirmation"),
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_radiograph_readings_confirmed_by_users"),
            "users",
            ["confirmed_by"],
            ["id"],
        )
    _sqlite_reading_triggers()
    op.create_table(
        "radiograph_overlays",
        sa.Column("reading_id", _RECORD_ID, autoincrement=False, nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reading_id"],
            ["radiograph_readings.id"],
            name=op.f("fk_radiograph_overlays_reading_id_radiograph_readings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reading_id", name=op.f("pk_radiograph_overlays")),
    )


def downgrade() -> None:
    op.drop_table("radiograph_overlays")
    with op.batch_alter_table("radiograph_readings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_radiograph_readings_confirmed_by_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("ck_radiograph_readings_confirmation"), type_="check")
        batch_op.drop_column("confirmation")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("confirmed_by")
    _sqlite_reading_triggers()
    op.execute(sa.text("DELETE FROM audit_log WHERE action = 'radiograph.confirmed'"))
    replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)
