"""per-site alert routes, escalation steps of alert emails, audit log reads (issue 16)

Revision ID: 0018_alerts
Revises: 0017_pacs
Create Date: 2026-12-06 23:59:00

- ``site_alert_routes``: a site's alert routes as its administrators set them (working days
  and hours, working-hours, after-hours and administrators' addresses), overriding
  ``sites.toml``;
- ``alert_deliveries`` gains ``step`` (0: the first email; 1, 2: escalations), and its
  unique ``alert_id`` becomes unique ``(alert_id, step)``: each step is claimed once. Batch
  mode rebuilds the table on SQLite, which drops its record-version triggers (revision
  0011): they are made again;
- the audit log's actions grow by ``alert-routes.changed``, ``alert-routes.read`` and
  ``audit-log.read`` (a CHECK autogenerate does not see; batch mode on SQLite).
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

revision: str = "0018_alerts"
down_revision: str | None = "0017_pacs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The ids' type as ``hipcare.storage.tables.RECORD_ID`` declares it (64-bit on PostgreSQL).
_RECORD_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)

# Revision 0011's SQLite triggers on alert_deliveries: an alert's email is part of the child's
# record, so cached pages follow it.
_BUMP = "UPDATE children SET record_version = record_version + 1 WHERE id"
_CHILD = "(SELECT child_id FROM alerts WHERE id = {row}.alert_id)"


def _sqlite_delivery_triggers() -> list[str]:
    new, old = _CHILD.format(row="NEW"), _CHILD.format(row="OLD")
    table = "alert_deliveries"
    return [
        f"DROP TRIGGER IF EXISTS trg_{table}_record_version_insert",
        f"DROP TRIGGER IF EXISTS trg_{table}_record_version_update",
        f"DROP TRIGGER IF EXISTS trg_{table}_record_version_delete",
        f"CREATE TRIGGER trg_{table}_record_version_insert AFTER INSERT ON {table} "
        f"BEGIN {_BUMP} = {new}; END",
        f"CREATE TRIGGER trg_{table}_record_version_update AFTER UPDATE ON {table} "
        f"BEGIN {_BUMP} IN ({old}, {new}); END",
        f"CREATE TRIGGER trg_{table}_record_version_delete AFTER DELETE ON {table} "
        f"BEGIN {_BUMP} = {old}; END",
    ]


def _remake_sqlite_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _sqlite_delivery_triggers():
            op.execute(statement)


def upgrade() -> None:
    replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)
    op.create_table(
        "site_alert_routes",
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("working_days", sa.String(length=32), nullable=False),
        sa.Column("working_hours_start", sa.String(length=5), nullable=False),
        sa.Column("working_hours_end", sa.String(length=5), nullable=False),
        sa.Column("working_hours_address", sa.String(length=320), nullable=True),
        sa.Column("after_hours_address", sa.String(length=320), nullable=True),
        sa.Column("administrators_address", sa.String(length=320), nullable=True),
        sa.Column("updated_by", _RECORD_ID, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_site_alert_routes_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_site_alert_routes_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_site_alert_routes")),
    )
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("step", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint(batch_op.f("uq_alert_deliveries_alert_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_alert_deliveries_alert_id_step"), ["alert_id", "step"]
        )
    _remake_sqlite_triggers()


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM alert_deliveries WHERE step > 0"))
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_alert_deliveries_alert_id_step"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_alert_deliveries_alert_id"), ["alert_id"])
        batch_op.drop_column("step")
    _remake_sqlite_triggers()
    op.drop_table("site_alert_routes")
    op.execute(
        sa.text(
            "DELETE FROM audit_log WHERE action IN "
            "('alert-routes.changed', 'alert-routes.read', 'audit-log.read')"
        )
    )
    replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)
