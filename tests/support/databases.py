"""The test databases shared by the storage, web, FHIR and end-to-end tests.

PostgreSQL: ``HIPCARE_TEST_POSTGRESQL_URL`` (default
``postgresql+psycopg://postgres@localhost:5432/test``, trust auth). One database is created
per test session and dropped afterwards; each test gets its own empty schema in it. When
PostgreSQL cannot be reached the PostgreSQL half is skipped with the reason, except under
``CI=true``, where it fails: CI must prove both engines.

Each folder's ``conftest.py`` keeps its own fixtures (same names as before) and builds them
from these helpers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
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
