"""surveillance_status: only what the worklist shows, a cheap stale check, rows follow the child

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 16:20:00

Written by hand (issue 4's worklist benchmark), checked against ``tables.py`` by
``test_migrations_produce_exactly_the_tables_the_code_declares``:

- ``plan`` (the whole SurveillancePlan as JSON, ~1.2 kB a row) is dropped: the worklist
  shows only stored columns (status from the dates, review date, rule, local protocol,
  problem) and the child's page judges afresh. Narrow rows are what makes the listing fast
  (PostgreSQL read a page of the table per listed child).
- ``judge_again_on``: the first day the judgement could differ without a new record (the age
  limit ``valid_until``, or the day after ``due_by`` when judged before it), backfilled here
  from those columns; indexed with ``site_id`` as is ``(site_id, rules_version,
  computed_on)``, so the worklist's stale check is a few index seeks.
- ``(child_id, site_id)`` refers to ``children (id, site_id)`` (a new unique index) with ON
  UPDATE CASCADE, in place of the foreign key on ``child_id`` alone: a row moves with its
  child, so counting a site's children and rows tells whether a row is missing. Rows whose
  site already disagrees with their child's are deleted first (judged again lazily).

SQLite rebuilds ``surveillance_status`` in batch mode (no triggers on it; ``children`` only
gains an index, so its triggers from 0008 stay). The downgrade empties the table: revision
0007's code needs the plan, and judges missing rows again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FOREIGN_KEY = "fk_surveillance_status_child_id_children"
_INDEXES = {
    "ix_surveillance_status_site_id_rules_version_computed_on": [
        "site_id",
        "rules_version",
        "computed_on",
    ],
    "ix_surveillance_status_site_id_judge_again_on": ["site_id", "judge_again_on"],
}
_STATUS = sa.table(
    "surveillance_status",
    sa.column("child_id", sa.Integer()),
    sa.column("computed_on", sa.Date()),
    sa.column("due_by", sa.Date()),
    sa.column("valid_until", sa.Date()),
    sa.column("judge_again_on", sa.Date()),
)


def _judge_again_on(
    computed_on: date, valid_until: date | None, due_by: date | None
) -> date | None:
    # As hipcare.services.surveillance_status.judge_again_on on the day it is written.
    days = [valid_until] if valid_until is not None else []
    if due_by is not None and computed_on <= due_by:
        days.append(due_by + timedelta(days=1))
    return min(days, default=None)


def upgrade() -> None:
    op.create_index("uq_children_id_site_id", "children", ["id", "site_id"], unique=True)
    op.execute(
        "DELETE FROM surveillance_status WHERE NOT EXISTS (SELECT 1 FROM children "
        "WHERE children.id = surveillance_status.child_id "
        "AND children.site_id = surveillance_status.site_id)"
    )
    with op.batch_alter_table("surveillance_status", schema=None) as batch_op:
        batch_op.add_column(sa.Column("judge_again_on", sa.Date(), nullable=True))
        batch_op.drop_column("plan")
        batch_op.drop_constraint(_FOREIGN_KEY, type_="foreignkey")
        batch_op.create_foreign_key(
            _FOREIGN_KEY,
            "children",
            ["child_id", "site_id"],
            ["id", "site_id"],
            onupdate="CASCADE",
            ondelete="CASCADE",
        )
        for name, columns in _INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            _STATUS.c.child_id, _STATUS.c.computed_on, _STATUS.c.valid_until, _STATUS.c.due_by
        )
    ).all()
    days = [
        {"id": child_id, "day": day}
        for child_id, computed_on, valid_until, due_by in rows
        if (day := _judge_again_on(computed_on, valid_until, due_by)) is not None
    ]
    if days:
        connection.execute(
            sa.update(_STATUS)
            .where(_STATUS.c.child_id == sa.bindparam("id"))
            .values(judge_again_on=sa.bindparam("day")),
            days,
        )


def downgrade() -> None:
    op.execute("DELETE FROM surveillance_status")
    with op.batch_alter_table("surveillance_status", schema=None) as batch_op:
        for name in _INDEXES:
            batch_op.drop_index(name)
        batch_op.drop_constraint(_FOREIGN_KEY, type_="foreignkey")
        batch_op.create_foreign_key(
            _FOREIGN_KEY, "children", ["child_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.add_column(sa.Column("plan", sa.JSON(), nullable=True))
        batch_op.drop_column("judge_again_on")
    op.drop_index("uq_children_id_site_id", table_name="children")
