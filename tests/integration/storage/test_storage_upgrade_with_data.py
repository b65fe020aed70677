"""Upgrading a database that already holds records keeps every row (SQLite and PostgreSQL).

On SQLite, Alembic's batch mode rebuilds a table by copying it and dropping the old one.
With foreign keys on, that drop cascaded into (or was refused by) the rows pointing at the
table: upgrading a real database lost every site membership and session, or stopped
half-way. Found when an older demo database was upgraded.
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text

from hipcare.storage import create_database_engine, current_revision, head_revision, upgrade_to_head
from hipcare.storage.migrate import alembic_config

ROWS = {
    "sites": "INSERT INTO sites (id, name) VALUES ('harbour-childrens', 'Harbour')",
    "users": (
        "INSERT INTO users (id, email, display_name, role, profession) "
        "VALUES (1, 'a@example.org', 'A', 'clinician', 'nurse')"
    ),
    "site_memberships": "INSERT INTO site_memberships VALUES (1, 'harbour-childrens')",
    "web_sessions": "INSERT INTO web_sessions VALUES ('digest', 1, 'csrf', :at, :at)",
    "children": (
        "INSERT INTO children (id, site_id, given_name, family_name, search_key, date_of_birth, "
        "preferred_language) VALUES (1, 'harbour-childrens', 'B', 'C', 'b c', '2020-01-01', 'en')"
    ),
    "visits": (
        "INSERT INTO visits (id, child_id, visit_date, xray, recorded_by, recorded_at) "
        "VALUES (1, 1, '2021-01-01', false, 1, :at)"
    ),
}


def test_upgrading_a_database_with_records_keeps_every_row(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "0004")
    engine = create_database_engine(database_url)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for statement in ROWS.values():
            connection.execute(text(statement), {"at": at})
    engine.dispose()

    upgrade_to_head(database_url)

    assert current_revision(database_url) == head_revision()
    engine = create_database_engine(database_url)
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608 -- fixed table names
            for table in ROWS
        }
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            leftovers = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp%'"
            ).fetchall()
            assert leftovers == []
    engine.dispose()
    assert counts == dict.fromkeys(ROWS, 1)
