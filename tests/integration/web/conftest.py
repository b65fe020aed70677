"""Fixtures that run every web test against the real app on SQLite AND on PostgreSQL.

The database fixtures come from ``tests/support/databases.py``: PostgreSQL is
``HIPCARE_TEST_POSTGRESQL_URL`` (default ``postgresql+psycopg://postgres@localhost:5432/test``),
one database per test session and one schema per test; unreachable means skipped, except
under ``CI=true``, where it fails.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.support.databases import (
    DATABASE_KINDS,
    migrated_database,
    session_postgresql_database,
)
from tests.support.servers import Running, serve_workers
from web_support import EMAILS, HARBOUR, NORTHERN, PASSWORD, Clock, Staff

from hipcare.domain.records import Profession, Role, Site, User
from hipcare.settings import Settings
from hipcare.storage import (
    SqlAlchemyUnitOfWork,
    create_database_engine,
    create_session_factory,
)
from hipcare.web import create_app


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    """A new, empty database for this test session, dropped at the end; its URL."""
    yield from session_postgresql_database("hipcare_web_test")


@pytest.fixture(params=DATABASE_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database at the newest migration: a SQLite file, or a PostgreSQL schema."""
    with migrated_database(request, request.param, tmp_path / "hipcare.sqlite3") as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings as for a server on plain http (the test client's), at http://testserver."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secure_cookies=False,
        public_url="http://testserver",
        # The administrators here have no authenticator: the rule that a site administrator
        # must set one up first is tested in test_web_local_accounts.py with its default.
        admin_second_factor_required=False,
    )


@pytest.fixture
def uow(database_url: str) -> Iterator[SqlAlchemyUnitOfWork]:
    engine = create_database_engine(database_url)
    yield SqlAlchemyUnitOfWork(create_session_factory(engine))
    engine.dispose()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """A cheap argon2id hash of PASSWORD for every test user.

    argon2 reads its cost from the stored hash, so checking this one takes about a
    millisecond instead of the ~0.2 s the app's own hashes cost (slow on purpose).
    """
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@pytest.fixture
def staff(uow: SqlAlchemyUnitOfWork, password_hash: str) -> Staff:
    """Two synthetic sites and five users (invented names, no real people)."""
    with uow:
        uow.sites.add(Site(HARBOUR, "Harbour Children's Hospital"))
        uow.sites.add(Site(NORTHERN, "Northern Regional Kids Health"))
        uow.commit()
    people = [
        User(EMAILS["surgeon"], "Ada Surgeon", Role.CLINICIAN, Profession.SURGEON, {HARBOUR}),
        User(EMAILS["nurse"], "Ben Nurse", Role.CLINICIAN, Profession.NURSE, {HARBOUR, NORTHERN}),
        User(
            EMAILS["physiotherapist"],
            "Cai Physio",
            Role.CLINICIAN,
            Profession.PHYSIOTHERAPIST,
            {NORTHERN},
        ),
        User(EMAILS["administrator"], "Dee Admin", Role.SITE_ADMINISTRATOR, None, {HARBOUR}),
        User(
            EMAILS["northern_administrator"],
            "Eve Admin",
            Role.SITE_ADMINISTRATOR,
            None,
            {NORTHERN},
        ),
    ]
    with uow:
        ids = [
            uow.users.add(dataclasses.replace(person, password_hash=password_hash)).id
            for person in people
        ]
        uow.commit()
    return Staff(*(user_id for user_id in ids if user_id is not None))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: Settings, clock: Clock, staff: Staff) -> Iterator[FastAPI]:
    application = create_app(settings, clock=clock)
    yield application
    application.state.hipcare.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[[str], Running]]:
    """``hipcare serve --workers 3`` on a database the test prepared; stopped afterwards."""
    with serve_workers(tmp_path) as start:
        yield start
