"""Databases for the FHIR tests: a temporary SQLite file and, when reachable, PostgreSQL.

PostgreSQL: ``HIPCARE_TEST_POSTGRESQL_URL`` (default
``postgresql+psycopg://postgres@localhost:5432/test``); one database per test session, one
schema per test. Unreachable: the PostgreSQL half is skipped with the reason, except under
``CI=true``, where it fails (as in ``tests/integration/storage``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fhir_support import OpenUnitOfWork
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from hipcare.storage import (
    create_database_engine,
    create_session_factory,
    upgrade_to_head,
)
from hipcare.storage.family import SqlAlchemyFamilyUnitOfWork


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    server_url = os.environ.get(
        "HIPCARE_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@localhost:5432/test"
    )
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
    name = f"hipcare_fhir_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _new_database(request: pytest.FixtureRequest, folder: Path, kind: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'hipcare-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    database: str = request.getfixturevalue("postgresql_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(database)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def source_url(request: pytest.FixtureRequest, tmp_path: Path, database_kind: str) -> Iterator[str]:
    """An empty database (SQLite or PostgreSQL) to export from."""
    yield from _new_database(request, tmp_path, database_kind)


@pytest.fixture
def target_url(request: pytest.FixtureRequest, tmp_path: Path, database_kind: str) -> Iterator[str]:
    """A second empty database of the same kind, to import into."""
    yield from _new_database(request, tmp_path, database_kind)


@pytest.fixture
def unit_of_work() -> Iterator[OpenUnitOfWork]:
    """Open a unit of work on a database URL (upgraded to head); engines closed afterwards."""
    engines: list[Engine] = []

    def open_unit_of_work(url: str) -> SqlAlchemyFamilyUnitOfWork:
        upgrade_to_head(url)
        engine = create_database_engine(url)
        engines.append(engine)
        return SqlAlchemyFamilyUnitOfWork(create_session_factory(engine))

    yield open_unit_of_work
    for engine in engines:
        engine.dispose()
