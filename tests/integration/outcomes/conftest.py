"""Databases for the outcomes report tests: a SQLite file and, when reachable, PostgreSQL.

As in ``tests/integration/fhir``: one PostgreSQL database per test session, one schema per
test; unreachable PostgreSQL skips that half, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.databases import DATABASE_KINDS, empty_database, session_postgresql_database


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    yield from session_postgresql_database("hipcare_outcomes")


@pytest.fixture(params=DATABASE_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind in turn (SQLite, PostgreSQL)."""
    with empty_database(request, request.param, tmp_path / "outcomes.sqlite3") as url:
        yield url
