"""Alembic migrations on SQLite and PostgreSQL: up from empty, idempotent, matching the tables."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from hipcare.domain.errors import InvalidInputError
from hipcare.storage import (
    Base,
    SqlAlchemyUnitOfWork,
    create_database_engine,
    create_session_factory,
    current_revision,
    head_revision,
    sqlite_url_for,
    upgrade_to_head,
)
from hipcare.storage.audit_action_history import ADDED, actions_after
from hipcare.storage.migrate import alembic_config, write_revision

TABLES = {
    "account_tokens",
    "alert_deliveries",
    "alerts",
    "audit_log",
    "calendar_feeds",
    "care_plan_items",
    "child_messages",
    "children",
    "diary_entries",
    "diary_photos",
    "external_identifiers",
    "family_contacts",
    "family_invitations",
    "family_links",
    "hip_measures",
    "hospital_numbers",
    "operation_complications",
    "operation_outcomes",
    "operation_plans",
    "operation_readmissions",
    "operation_reoperations",
    "page_generation",
    "pain_descriptors",
    "radiograph_files",
    "radiograph_overlays",
    "radiograph_readings",
    "radiographs",
    "recovery_codes",
    "referrals",
    "reminder_deliveries",
    "sign_in_failures",
    "site_alert_routes",
    "site_memberships",
    "sites",
    "surveillance_status",
    "users",
    "visits",
    "web_sessions",
}


HEAD = "0023_family2"
"""The newest migration: a new one changes this line."""


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

    assert current_revision(database_url) == head_revision() == HEAD
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


def _audit_actions_allowed(url: str) -> tuple[str, ...]:
    """The values ``audit_log.action``'s CHECK names, in the order of its text."""
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            checks = inspect(connection).get_check_constraints("audit_log")
    finally:
        engine.dispose()
    (condition,) = [check["sqltext"] for check in checks if check["name"] == "ck_audit_log_action"]
    return tuple(re.findall(r"'([^']*)'", condition))


def test_each_revision_up_and_down_leaves_the_audit_actions_its_history_names(
    database_url: str,
) -> None:
    """The shared history (``storage/audit_action_history.py``) is what the CHECK holds."""
    scripts = ScriptDirectory.from_config(alembic_config(database_url))
    chain = [script.revision for script in reversed(list(scripts.walk_revisions()))]
    expected = {}
    last_change = chain[0]
    for revision in chain:
        if revision in ADDED:
            last_change = revision
        expected[revision] = actions_after(last_change)
    config = alembic_config(database_url)
    for revision in chain:
        command.upgrade(config, revision)
        assert _audit_actions_allowed(database_url) == expected[revision], revision
    for revision in reversed(chain[:-1]):
        command.downgrade(config, revision)
        assert _audit_actions_allowed(database_url) == expected[revision], revision


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


def test_a_revision_autogenerated_at_head_has_nothing_to_do(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """What a developer gets from write_revision when the tables have not changed."""
    path = write_revision(database_url, "nothing changed", version_path=tmp_path)
    source = path.read_text(encoding="utf-8")
    assert path.parent == tmp_path
    assert f"down_revision: str | None = '{HEAD}'" in source
    assert "op." not in source.split("def upgrade() -> None:")[1]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://u@h/db", "backend 'mysql' is not supported"),
        ("postgresql+psycopg2://u@h/db", "use the psycopg 3 driver"),
        ("postgresql+psycopg://u@h:notaport/db", "is not a database URL"),
    ],
)
def test_an_unsupported_database_url_is_refused_naming_the_variable(url: str, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=f"HIPCARE_DATABASE_URL: {problem}"):
        create_database_engine(url)


def test_a_unit_of_work_is_used_in_one_with_block_at_a_time(engine: Engine) -> None:
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    with pytest.raises(RuntimeError, match="'with' block"):
        uow.commit()
    with uow, pytest.raises(RuntimeError, match="already in use"), uow:
        pass  # pragma: no cover -- the nested 'with' refuses before reaching this
