"""Values and helpers the web tests share (a plain module: test files import it by name).

Kept out of ``conftest.py`` on purpose: ``from web_support import ...`` is ambiguous when pytest
collects several folders that each have a conftest (the storage tests have one too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"  # noqa: S105 -- a synthetic test password
HARBOUR = "harbour-childrens"
NORTHERN = "northern-regional"


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
