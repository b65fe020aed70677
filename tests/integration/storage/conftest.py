"""Fixtures that run every storage test on SQLite (a temporary file) AND on PostgreSQL.

PostgreSQL: ``HIPCARE_TEST_POSTGRESQL_URL`` (default
``postgresql+psycopg://postgres@localhost:5432/test``, trust auth). One database is created
per test session and dropped afterwards; each test gets its own empty schema in it. When
PostgreSQL cannot be reached the PostgreSQL half is skipped with the reason, except under
``CI=true``, where it fails: CI must prove both engines.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from storage_support import HARBOUR, NORTHERN, Staff

from hipcare.domain.records import Profession, Role, Site, User
from hipcare.storage import (
    SqlAlchemyUnitOfWork,
    create_database_engine,
    create_session_factory,
    upgrade_to_head,
)

DEFAULT_POSTGRESQL_URL = "postgresql+psycopg://postgres@localhost:5432/test"


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    """A new, empty database for this test session, dropped at the end; its URL."""
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
    name = f"hipcare_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an EMPTY database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hipcare.sqlite3'}"
        return
    database: str = request.getfixturevalue("postgresql_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # libpq "options": every connection of this URL works in the test's own schema.
        yield (
            make_url(database)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
    with uow:
        uow.sites.add(Site(HARBOUR, "Harbour Children's Hospital"))
        uow.sites.add(Site(NORTHERN, "Northern Regional Kids Health"))
        people = [
            User(
                "surgeon@example.org",
                "Dr Ada Surgeon",
                Role.CLINICIAN,
                Profession.SURGEON,
                frozenset({HARBOUR}),
            ),
            User(
                "nurse@example.org",
                "Ben Nurse",
                Role.CLINICIAN,
                Profession.NURSE,
                frozenset({HARBOUR, NORTHERN}),
            ),
            User(
                "physio@example.org",
                "Cai Physio",
                Role.CLINICIAN,
                Profession.PHYSIOTHERAPIST,
                frozenset({NORTHERN}),
            ),
            User(
                "admin@example.org",
                "Dee Admin",
                Role.SITE_ADMINISTRATOR,
                None,
                frozenset({HARBOUR}),
            ),
        ]
        ids = [uow.users.add(person).id for person in people]
        uow.commit()
    assert all(isinstance(user_id, int) for user_id in ids)
    return Staff(*(user_id for user_id in ids if user_id is not None))
