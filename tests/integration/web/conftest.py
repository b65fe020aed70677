"""Fixtures that run every web test against the real app on SQLite AND on PostgreSQL.

The database fixtures follow ``tests/integration/storage/conftest.py``: PostgreSQL is
``HIPCARE_TEST_POSTGRESQL_URL`` (default ``postgresql+psycopg://postgres@localhost:5432/test``),
one database per test session and one schema per test; unreachable means skipped, except
under ``CI=true``, where it fails.
"""

from __future__ import annotations

import dataclasses
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from hipcare.domain.records import Profession, Role, Site, User
from hipcare.settings import Settings
from hipcare.storage import create_database_engine, create_session_factory, upgrade_to_head
from hipcare.storage.accounts import SqlAlchemyAccountsUnitOfWork
from hipcare.web import create_app

DEFAULT_POSTGRESQL_URL = "postgresql+psycopg://postgres@localhost:5432/test"
PASSWORD = "correct horse battery"  # noqa: S105 -- a synthetic test password
HARBOUR = "harbour-childrens"
NORTHERN = "northern-regional"


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
    name = f"hipcare_web_test_{uuid.uuid4().hex[:12]}"
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
    """The URL of a database at the newest migration: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hipcare.sqlite3'}"
        upgrade_to_head(url)
        yield url
        return
    database: str = request.getfixturevalue("postgresql_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = (
            make_url(database)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
        upgrade_to_head(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Clock:
    """A clock the test moves by hand (the app reads it for every request)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 30, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class Staff:
    """Ids of the synthetic staff every web test starts with."""

    surgeon: int  # Harbour only
    nurse: int  # both sites
    physiotherapist: int  # Northern only
    administrator: int  # Harbour administrator
    northern_administrator: int


EMAILS = {
    "surgeon": "surgeon@example.org",
    "nurse": "nurse@example.org",
    "physiotherapist": "physio@example.org",
    "administrator": "admin@example.org",
    "northern_administrator": "admin.north@example.org",
}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path)


@pytest.fixture
def uow(database_url: str) -> Iterator[SqlAlchemyAccountsUnitOfWork]:
    engine = create_database_engine(database_url)
    yield SqlAlchemyAccountsUnitOfWork(create_session_factory(engine))
    engine.dispose()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """A cheap argon2id hash of PASSWORD for every test user.

    argon2 reads its cost from the stored hash, so checking this one takes about a
    millisecond instead of the ~0.2 s the app's own hashes cost (slow on purpose).
    """
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@pytest.fixture
def staff(uow: SqlAlchemyAccountsUnitOfWork, password_hash: str) -> Staff:
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


_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    """The hidden CSRF token of the (first) form on a page."""
    found = _FORM_TOKEN.search(html)
    assert found, "the page has no form with a csrf_token"
    return found.group(1)


def sign_in(client: TestClient, who: str, password: str = PASSWORD) -> str:
    """Sign ``who`` (a key of EMAILS) in through the sign-in page; returns the CSRF token."""
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": EMAILS[who], "password": password, "csrf_token": form_token(page.text)},
    )
    assert response.status_code == 303, response.text
    home = client.get("/")
    assert home.status_code == 200
    return form_token(home.text)


CHILD_FORM = {
    "given_name": "Ngoc Anh",
    "family_name": "Nguyễn",
    "date_of_birth": "2022-05-14",
    "site": HARBOUR,
    "preferred_language": "vi",
    "gmfcs": "IV",
    "gestation_weeks": "31",
    "contact_1_name": "Thi Lan Nguyen",
    "contact_1_relationship": "mother",
    "contact_1_phone": "0400 555 001",
    "contact_1_email": "",
}
