"""Fixtures that run every service test over every storage engine: memory, SQLite, PostgreSQL.

``storage`` is parametrised over ``ENGINE_NAMES`` (model: ehrql ``tests/conftest.py``); ``uow``
is a unit of work on it and ``staff`` the synthetic sites and staff stored through it. The
PostgreSQL half follows ``tests/support/databases.py`` (skipped when the server cannot be
reached, except under ``CI=true``). SQL-only behaviour (the Core worklist query, triggers,
migrations) is tested in ``tests/integration/storage``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.databases import migrated_database, session_postgresql_database
from tests.support.engines import ENGINE_NAMES, MemoryEngine, SqlEngine, StorageEngine
from tests.support.staff import Staff, add_staff

from hipcare.services.ports import UnitOfWork
from hipcare.storage import create_database_engine


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    """A new, empty database for this test session, dropped at the end; its URL."""
    yield from session_postgresql_database("hipcare_service_test")


@pytest.fixture(params=ENGINE_NAMES)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageEngine]:
    """One storage engine, empty but for the newest schema."""
    if request.param == "memory":
        yield MemoryEngine()
        return
    with migrated_database(request, request.param, tmp_path / "hipcare.sqlite3") as url:
        engine = create_database_engine(url)
        try:
            yield SqlEngine(request.param, engine)
        finally:
            engine.dispose()


@pytest.fixture
def uow(storage: StorageEngine) -> UnitOfWork:
    return storage.unit_of_work()


@pytest.fixture
def staff(uow: UnitOfWork) -> Staff:
    """Two synthetic sites and four users (invented names, no real people)."""
    return add_staff(uow)
