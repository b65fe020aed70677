"""The test databases shared by the storage, web, FHIR and end-to-end tests.

PostgreSQL: ``HIPCARE_TEST_POSTGRESQL_URL`` (default
``postgresql+psycopg://postgres@localhost:5432/test``, trust auth). One database is created
per test session and dropped afterwards; each test gets its own empty schema in it. When
PostgreSQL cannot be reached the PostgreSQL half is skipped with the reason, except under
``CI=true``, where it fails: CI must prove both engines.

Each folder's ``conftest.py`` keeps its own fixtures (same names as before) and builds them
from these helpers.

A test that needs a database at the newest revision takes :func:`migrated_database`: the
migrations run once per test process and engine, and each test then starts from a copy of
that result (SQLite: the migrated file copied; PostgreSQL: one migrated schema per process,
emptied back to what the migrations left before each test). Running 23 migrations for every
test cost about a second each; a test of the migrations themselves takes
:func:`empty_database` and runs them.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

DEFAULT_POSTGRESQL_URL = "postgresql+psycopg://postgres@localhost:5432/test"
# The parameters of every fixture that runs a test once per engine.
DATABASE_KINDS = ("sqlite", "postgresql")


def session_postgresql_database(name_prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database named ``<name_prefix>_<random>``, dropped at the end.

    A generator for a session fixture to ``yield from``: it yields the database's URL. An
    unreachable server skips the caller with the reason, or fails it under ``CI=true``.
    """
    server_url = os.environ.get("HIPCARE_TEST_POSTGRESQL_URL", DEFAULT_POSTGRESQL_URL)
    admin = create_engine(
        server_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        admin.dispose()
        reason = f"PostgreSQL is not reachable at {server_url}: {error.orig}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(f"{reason}; start it or set HIPCARE_TEST_POSTGRESQL_URL")
    name = f"{name_prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def postgresql_schema(database_url: str) -> Iterator[str]:
    """A new, empty schema in that database, dropped afterwards; a URL that works in it."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # libpq "options": every connection of this URL works in the test's own schema.
        yield (
            make_url(database_url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def empty_database(request: pytest.FixtureRequest, kind: str, sqlite_file: Path) -> Iterator[str]:
    """The URL of an EMPTY database of that kind: the SQLite file, or a fresh PostgreSQL schema.

    The PostgreSQL schema lives in the calling folder's ``postgresql_database`` fixture.
    """
    if kind == "sqlite":
        yield f"sqlite:///{sqlite_file}"
        return
    database: str = request.getfixturevalue("postgresql_database")
    with postgresql_schema(database) as url:
        yield url


@contextmanager
def migrated_database(
    request: pytest.FixtureRequest, kind: str, sqlite_file: Path
) -> Iterator[str]:
    """The URL of a database of that kind exactly as ``upgrade_to_head`` leaves an empty one.

    SQLite: a copy of a file migrated once per test process (SQLite's backup API, so the
    copy holds what the write-ahead log held too). PostgreSQL: a schema migrated once per
    test process in the calling folder's ``postgresql_database``; before each test every
    table is emptied, its identities restarted, and the rows the migrations wrote put back
    (``page_generation``'s one row, ``alembic_version``).
    """
    if kind == "sqlite":
        template = _sqlite_template(request)
        with sqlite3.connect(template) as source, sqlite3.connect(sqlite_file) as copy:
            source.backup(copy)
        source.close()
        copy.close()
        yield f"sqlite:///{sqlite_file}"
        return
    database: str = request.getfixturevalue("postgresql_database")
    schema = _postgresql_templates.get(database)
    if schema is None:
        schema = _postgresql_templates[database] = _MigratedSchema(database)
    schema.reset()
    yield schema.url


_sqlite_templates: dict[str, Path] = {}
_postgresql_templates: dict[str, _MigratedSchema] = {}


def _sqlite_template(request: pytest.FixtureRequest) -> Path:
    """A SQLite file at the newest revision, made once per test process."""
    found = _sqlite_templates.get("head")
    if found is None:
        from hipcare.storage import upgrade_to_head

        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        found = factory.mktemp("migrated") / "head.sqlite3"
        upgrade_to_head(f"sqlite:///{found}")
        _sqlite_templates["head"] = found
    return found


class _MigratedSchema:
    """One schema at the newest revision, emptied back to the migrations' rows on demand."""

    def __init__(self, database_url: str) -> None:
        from hipcare.storage import upgrade_to_head

        name = f"m_{uuid.uuid4().hex[:12]}"
        self.engine: Engine = create_engine(
            database_url,
            isolation_level="AUTOCOMMIT",
            # Emptying waits for no test's forgotten connection: it says so instead.
            connect_args={"options": f"-csearch_path={name} -clock_timeout=10s"},
        )
        with self.engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
        self.url = (
            make_url(database_url)
            .update_query_dict({"options": f"-csearch_path={name}"})
            .render_as_string(hide_password=False)
        )
        upgrade_to_head(self.url)
        with self.engine.connect() as connection:
            self.tables = sorted(inspect(connection).get_table_names(schema=name))
            self.rows: dict[str, list[dict[str, object]]] = {}
            for table in self.tables:
                query = f'SELECT * FROM "{table}"'  # noqa: S608 -- a name from the catalog
                found = [dict(row._mapping) for row in connection.execute(text(query))]
                if found:
                    self.rows[table] = found
        self.dirty = False

    def reset(self) -> None:
        """Every table as the migrations left it (the first test finds it so already)."""
        if self.dirty:
            names = ", ".join(f'"{table}"' for table in self.tables)
            with self.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                for table, rows in self.rows.items():
                    columns = list(rows[0])
                    connection.execute(
                        text(
                            f'INSERT INTO "{table}" ({", ".join(columns)}) '  # noqa: S608 -- names from the catalog
                            f"VALUES ({', '.join(':' + c for c in columns)})"
                        ),
                        rows,
                    )
        self.dirty = True
