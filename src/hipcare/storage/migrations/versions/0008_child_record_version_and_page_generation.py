"""children.record_version and page_generation, kept current by database triggers (ADR 10)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 16:10:00

Written by hand. ``children.record_version`` goes up whenever anything that is part of the
child's record is inserted, changed or deleted: the child row itself and every table that
holds part of the record, directly by ``child_id`` or through a visit, an operation plan, a
diary entry or a film (the list below). ``page_generation`` (one row) goes up whenever a
user is added, changed or removed: pages show staff names, which are not part of any record.
A rendered page is valid exactly as long as both numbers are unchanged (web page cache).

Triggers live in the database, so every writer (the app, the CLI, a FHIR import, a second
server process, a hand-written UPDATE) moves the version; no code path can forget.

SQLite: a trigger on a table that batch mode later rebuilds is DROPPED with the old table;
a later migration that rebuilds one of these tables must create its triggers again (the
test ``test_record_version`` fails until it does).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables that hold part of a child's record -> how a row names its child ({row} is NEW/OLD).
_RECORD_TABLES: dict[str, str] = {
    "family_contacts": "{row}.child_id",
    "visits": "{row}.child_id",
    "hip_measures": "(SELECT child_id FROM visits WHERE id = {row}.visit_id)",
    "operation_plans": "{row}.child_id",
    "care_plan_items": (
        "(SELECT child_id FROM operation_plans WHERE id = {row}.operation_plan_id)"
    ),
    "alerts": "{row}.child_id",
    "family_links": "{row}.child_id",
    "family_invitations": "{row}.child_id",
    "calendar_feeds": "{row}.child_id",
    "diary_entries": "{row}.child_id",
    "diary_photos": "(SELECT child_id FROM diary_entries WHERE id = {row}.diary_entry_id)",
    "pain_descriptors": "{row}.child_id",
    "radiographs": "{row}.child_id",
    "radiograph_readings": "(SELECT child_id FROM radiographs WHERE id = {row}.radiograph_id)",
}
# Every column of children but id and record_version: an UPDATE of any of them bumps.
_CHILD_COLUMNS = (
    "site_id",
    "given_name",
    "family_name",
    "search_key",
    "date_of_birth",
    "gestation_weeks",
    "gmfcs",
    "preferred_language",
)
_BUMP = "UPDATE children SET record_version = record_version + 1 WHERE id"
_BUMP_GENERATION = "UPDATE page_generation SET generation = generation + 1 WHERE id = 1"


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, child in _RECORD_TABLES.items():
        new, old = child.format(row="NEW"), child.format(row="OLD")
        statements += [
            f"CREATE TRIGGER trg_{table}_record_version_insert AFTER INSERT ON {table} "
            f"BEGIN {_BUMP} = {new}; END",
            f"CREATE TRIGGER trg_{table}_record_version_update AFTER UPDATE ON {table} "
            f"BEGIN {_BUMP} IN ({old}, {new}); END",
            f"CREATE TRIGGER trg_{table}_record_version_delete AFTER DELETE ON {table} "
            f"BEGIN {_BUMP} = {old}; END",
        ]
    # "UPDATE OF" the record's columns only: the bump itself (record_version) cannot recurse.
    statements.append(
        "CREATE TRIGGER trg_children_record_version_update "
        f"AFTER UPDATE OF {', '.join(_CHILD_COLUMNS)} ON children "
        f"BEGIN {_BUMP} = NEW.id; END"
    )
    statements += [
        f"CREATE TRIGGER trg_users_page_generation_{event.lower()} AFTER {event} ON users "
        f"BEGIN {_BUMP_GENERATION}; END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ]
    return statements


def _postgresql_triggers() -> list[str]:
    statements = []
    for table, child in _RECORD_TABLES.items():
        new, old = child.format(row="NEW"), child.format(row="OLD")
        statements += [
            f"CREATE FUNCTION hipcare_{table}_record_version() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'INSERT' THEN {_BUMP} = {new}; "
            f"ELSIF TG_OP = 'UPDATE' THEN {_BUMP} IN ({old}, {new}); "
            f"ELSE {_BUMP} = {old}; END IF; "
            "RETURN NULL; END $$",
            f"CREATE TRIGGER trg_{table}_record_version "
            f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION hipcare_{table}_record_version()",
        ]
    # BEFORE UPDATE sets NEW: no second UPDATE, so nothing to recurse. A bump from a record
    # table's trigger already moved record_version and is left as it is.
    statements += [
        "CREATE FUNCTION hipcare_children_record_version() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.record_version = OLD.record_version THEN "
        "NEW.record_version := OLD.record_version + 1; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER trg_children_record_version BEFORE UPDATE ON children "
        "FOR EACH ROW EXECUTE FUNCTION hipcare_children_record_version()",
        "CREATE FUNCTION hipcare_users_page_generation() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {_BUMP_GENERATION}; RETURN NULL; END $$",
        "CREATE TRIGGER trg_users_page_generation AFTER INSERT OR UPDATE OR DELETE ON users "
        "FOR EACH STATEMENT EXECUTE FUNCTION hipcare_users_page_generation()",
    ]
    return statements


def upgrade() -> None:
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("record_version", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "page_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_page_generation_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_generation")),
    )
    op.execute("INSERT INTO page_generation (id, generation) VALUES (1, 0)")
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _postgresql_triggers() if postgresql else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*_RECORD_TABLES, "children"):
            op.execute(f"DROP TRIGGER trg_{table}_record_version ON {table}")
            op.execute(f"DROP FUNCTION hipcare_{table}_record_version()")
        op.execute("DROP TRIGGER trg_users_page_generation ON users")
        op.execute("DROP FUNCTION hipcare_users_page_generation()")
    else:
        for table in _RECORD_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER trg_{table}_record_version_{event}")
        op.execute("DROP TRIGGER trg_children_record_version_update")
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER trg_users_page_generation_{event}")
    op.drop_table("page_generation")
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_column("record_version")
