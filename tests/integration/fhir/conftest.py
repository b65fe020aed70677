"""Databases for the FHIR tests: a temporary SQLite file and, when reachable, PostgreSQL.

PostgreSQL: ``HIPCARE_TEST_POSTGRESQL_URL`` (default
``postgresql+psycopg://postgres@localhost:5432/test``); one database per test session, one
schema per test. Unreachable: the PostgreSQL half is skipped with the reason, except under
``CI=true``, where it fails (as in ``tests/integration/storage``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fhir_support import OpenUnitOfWork
from sqlalchemy import Engine
from tests.support.databases import (
    DATABASE_KINDS,
    empty_database,
    session_postgresql_database,
)

from hipcare.storage import (
    SqlAlchemyUnitOfWork,
    create_database_engine,
    create_session_factory,
    upgrade_to_head,
)


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    yield from session_postgresql_database("hipcare_fhir")


def _new_database(request: pytest.FixtureRequest, folder: Path, kind: str) -> Iterator[str]:
    sqlite_file = folder / f"hipcare-{uuid.uuid4().hex[:8]}.sqlite3"
    with empty_database(request, kind, sqlite_file) as url:
        yield url


@pytest.fixture(params=DATABASE_KINDS)
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

    def open_unit_of_work(url: str) -> SqlAlchemyUnitOfWork:
        upgrade_to_head(url)
        engine = create_database_engine(url)
        engines.append(engine)
        return SqlAlchemyUnitOfWork(create_session_factory(engine))

    yield open_unit_of_work
    for engine in engines:
        engine.dispose()
