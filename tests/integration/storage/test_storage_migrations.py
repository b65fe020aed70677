"""Alembic migrations on SQLite and PostgreSQL: up from empty, idempotent, matching the tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from hipcare.storage import (
    Base,
    create_database_engine,
    current_revision,
    head_revision,
    sqlite_url_for,
    upgrade_to_head,
)
from hipcare.storage.migrate import alembic_config

TABLES = {
    "alerts",
    "audit_log",
    "care_plan_items",
    "children",
    "family_contacts",
    "hip_measures",
    "operation_plans",
    "site_memberships",
    "sites",
    "users",
    "visits",
}


def _tables(url: str) -> set[str]:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_to_head_builds_every_table_from_an_empty_database(database_url: str) -> None:
    assert current_revision(database_url) is None
    assert _tables(database_url) == set()

    upgrade_to_head(database_url)

    assert current_revision(database_url) == head_revision() == "0001"
    assert _tables(database_url) == TABLES | {"alembic_version"}
    assert set(Base.metadata.tables) == TABLES


def test_upgrade_to_head_again_changes_nothing(database_url: str) -> None:
    """The app calls upgrade_to_head on every start; the second call must be harmless."""
    upgrade_to_head(database_url)
    upgrade_to_head(database_url)
    assert current_revision(database_url) == head_revision()


def test_migrations_produce_exactly_the_tables_the_code_declares(engine: Engine) -> None:
    """Autogenerate finds nothing to add: the revisions and ``tables.py`` agree."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_removes_every_table(database_url: str) -> None:
    upgrade_to_head(database_url)
    command.downgrade(alembic_config(database_url), "base")
    assert _tables(database_url) <= {"alembic_version"}
    assert current_revision(database_url) is None


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    """A child at a site that does not exist is refused by the database itself."""
    with engine.connect() as connection, pytest.raises(IntegrityError):
        connection.execute(
            text(
                "INSERT INTO children (site_id, given_name, family_name, search_key, "
                "date_of_birth, preferred_language) VALUES "
                "('no-such-site', 'A', 'B', 'a b', :born, 'en')"
            ),
            {"born": date(2020, 1, 1)},
        )


def test_check_constraints_refuse_values_outside_the_closed_sets(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(IntegrityError):
        connection.execute(
            text(
                "INSERT INTO users (email, display_name, role) "
                "VALUES ('x@example.org', 'X', 'superuser')"
            )
        )


def test_sqlite_file_runs_in_wal_mode_with_foreign_keys_on(tmp_path: Path) -> None:
    url = sqlite_url_for(tmp_path / "nested" / "folder" / "hipcare.sqlite3")
    upgrade_to_head(url)
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
    assert (tmp_path / "nested" / "folder" / "hipcare.sqlite3").is_file()
