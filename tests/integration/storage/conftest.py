"""Fixtures that run every storage test on SQLite (a temporary file) AND on PostgreSQL.

PostgreSQL: ``HIPCARE_TEST_POSTGRESQL_URL`` (default
``postgresql+psycopg://postgres@localhost:5432/test``, trust auth). One database is created
per test session and dropped afterwards; each test gets its own empty schema in it. When
PostgreSQL cannot be reached the PostgreSQL half is skipped with the reason, except under
``CI=true``, where it fails: CI must prove both engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from storage_support import Staff
from tests.support.databases import (
    DATABASE_KINDS,
    empty_database,
    session_postgresql_database,
)
from tests.support.staff import add_staff

from hipcare.storage import (
    SqlAlchemyUnitOfWork,
    create_database_engine,
    create_session_factory,
    upgrade_to_head,
)


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    """A new, empty database for this test session, dropped at the end; its URL."""
    yield from session_postgresql_database("hipcare_test")


@pytest.fixture(params=DATABASE_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an EMPTY database: a SQLite file, or a fresh PostgreSQL schema."""
    with empty_database(request, request.param, tmp_path / "hipcare.sqlite3") as url:
        yield url


@pytest.fixture
def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database already upgraded to the newest migration."""
    upgrade_to_head(database_url)
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(engine: Engine) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(create_session_factory(engine))


@pytest.fixture
def staff(uow: SqlAlchemyUnitOfWork) -> Staff:
    """Two synthetic sites and four users (invented names, no real people)."""
    return add_staff(uow)
