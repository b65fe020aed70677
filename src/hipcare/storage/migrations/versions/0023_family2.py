"""a word with the team: the child's message thread (issue 17)

Revision ID: 0023_family2
Revises: 0022_fhir
Create Date: 2026-12-07 01:00:00

- ``child_messages``: one row per message between a child's family and care team (who wrote
  it and from which side, when, when the other side read it, and the claim and sending of
  the care team's "a message is waiting" email). Part of the child's record: record-version
  triggers as revision 0008 made for the other tables (SQLite and PostgreSQL).
- ``family_links.language``: each carer's own language (issue 17): the invitation's, then
  the one they last chose on the family pages; NULL: the child's (as before);
- the audit log's actions grow by ``message.posted`` and ``messages.read`` (a CHECK
  autogenerate does not see; batch mode on SQLite).
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

revision: str = "0023_family2"
down_revision: str | None = "0022_fhir"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The ids' type as ``hipcare.storage.tables.RECORD_ID`` declares it (64-bit on PostgreSQL).
_RECORD_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)

_TABLE = "child_messages"
_BUMP = "UPDATE children SET record_version = record_version + 1 WHERE id"


def _sqlite_triggers() -> list[str]:
    return [
        f"CREATE TRIGGER trg_{_TABLE}_record_version_insert AFTER INSERT ON {_TABLE} "
        f"BEGIN {_BUMP} = NEW.child_id; END",
        f"CREATE TRIGGER trg_{_TABLE}_record_version_update AFTER UPDATE ON {_TABLE} "
        f"BEGIN {_BUMP} IN (OLD.child_id, NEW.child_id); END",
        f"CREATE TRIGGER trg_{_TABLE}_record_version_delete AFTER DELETE ON {_TABLE} "
        f"BEGIN {_BUMP} = OLD.child_id; END",
    ]


def _postgresql_triggers() -> list[str]:
    return [
        f"CREATE FUNCTION hipcare_{_TABLE}_record_version() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {_BUMP} = NEW.child_id; "
        f"ELSIF TG_OP = 'UPDATE' THEN {_BUMP} IN (OLD.child_id, NEW.child_id); "
        f"ELSE {_BUMP} = OLD.child_id; END IF; "
        "RETURN NULL; END $$",
        f"CREATE TRIGGER trg_{_TABLE}_record_version "
        f"AFTER INSERT OR UPDATE OR DELETE ON {_TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION hipcare_{_TABLE}_record_version()",
    ]


def upgrade() -> None:
    replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)
    op.create_table(
        _TABLE,
        sa.Column("id", _RECORD_ID, nullable=False),
        sa.Column("child_id", _RECORD_ID, nullable=False),
        sa.Column("author_id", _RECORD_ID, nullable=False),
        sa.Column(
            "side",
            sa.Enum(
                "family",
                "care-team",
                name=op.f("ck_child_messages_side"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice_claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_child_messages_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_child_messages_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_messages")),
    )
    op.create_index(
        "ix_child_messages_child_id_sent_at", _TABLE, ["child_id", "sent_at"], unique=False
    )
    with op.batch_alter_table("family_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=35), nullable=True))
    dialect = op.get_bind().dialect.name
    statements = _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers()
    for statement in statements:
        op.execute(statement)


def _family_link_triggers() -> list[str]:
    """Revision 0008's SQLite triggers on family_links, which a batch rebuild drops."""
    table = "family_links"
    return [
        f"DROP TRIGGER IF EXISTS trg_{table}_record_version_insert",
        f"DROP TRIGGER IF EXISTS trg_{table}_record_version_update",
        f"DROP TRIGGER IF EXISTS trg_{table}_record_version_delete",
        f"CREATE TRIGGER trg_{table}_record_version_insert AFTER INSERT ON {table} "
        f"BEGIN {_BUMP} = NEW.child_id; END",
        f"CREATE TRIGGER trg_{table}_record_version_update AFTER UPDATE ON {table} "
        f"BEGIN {_BUMP} IN (OLD.child_id, NEW.child_id); END",
        f"CREATE TRIGGER trg_{table}_record_version_delete AFTER DELETE ON {table} "
        f"BEGIN {_BUMP} = OLD.child_id; END",
    ]


def downgrade() -> None:
    with op.batch_alter_table("family_links", schema=None) as batch_op:
        batch_op.drop_column("language")
    if op.get_bind().dialect.name == "sqlite":
        for statement in _family_link_triggers():
            op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER trg_{_TABLE}_record_version ON {_TABLE}")
        op.execute(f"DROP FUNCTION hipcare_{_TABLE}_record_version()")
    op.drop_index("ix_child_messages_child_id_sent_at", table_name=_TABLE)
    op.drop_table(_TABLE)
    op.execute(sa.text("DELETE FROM audit_log WHERE action IN ('message.posted', 'messages.read')"))
    replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)
