"""Fixes from the security review, on SQLite and PostgreSQL: an invitation link is no way round
the failed-sign-in limit, impossible medicine times are refused (never a 500), the request log
holds no bearer token, and text with a NUL or another control character is refused."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import CHILD_FORM, EMAILS, PASSWORD, Clock, form_token, sign_in

from hipcare.domain.records import Role, User
from hipcare.storage import SqlAlchemyUnitOfWork

FAMILY_EMAIL = "parent@example.org"
FAMILY_PASSWORD = "our family password"  # noqa: S105 -- synthetic


def _register(client: TestClient, **changes: str) -> int:
    client.cookies.clear()
    csrf = sign_in(client, "nurse")
    response = client.post("/children", data={**CHILD_FORM, **changes, "csrf_token": csrf})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _linked_family(app: FastAPI, child_id: int) -> None:
    """A family account for FAMILY_EMAIL (FAMILY_PASSWORD, cheap hash) linked to the child."""
    from hipcare.storage import SqlAlchemyUnitOfWork

    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(FAMILY_PASSWORD)
    uow = SqlAlchemyUnitOfWork(app.state.hipcare.session_factory)
    with uow:
        user = uow.users.add(
            User(FAMILY_EMAIL, "Lan Nguyen", Role.FAMILY, None, password_hash=hashed)
        )
        assert user.id is not None
        uow.family.link(user.id, child_id, datetime(2026, 3, 1, tzinfo=UTC))
        uow.commit()


def _invite(client: TestClient, child_id: int, email: str) -> str:
    """The nurse invites ``email`` to the child; returns the invitation link's path."""
    client.cookies.clear()
    csrf = sign_in(client, "nurse")
    response = client.post(
        f"/children/{child_id}/invite-family", data={"csrf_token": csrf, "email": email}
    )
    assert response.status_code == 200, response.text
    found = re.search(r'value="http://testserver(/invite/[^"]+)"', response.text)
    assert found, response.text
    return found.group(1)


def _family_api(client: TestClient) -> dict[str, str]:
    client.cookies.clear()
    response = client.post(
        "/api/sign-in", json={"email": FAMILY_EMAIL, "password": FAMILY_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


# --- invitations and the failed-sign-in limit --------------------------------------------------


def test_wrong_passwords_through_an_invitation_slow_the_account_like_sign_in(
    client: TestClient, app: FastAPI, clock: Clock
) -> None:
    """Wrong passwords typed into an invitation for an existing family account count as failed
    sign-ins: past the free ones the link refuses even the right password for a while (429
    with Retry-After), and so does the sign-in page; after the wait the link works."""
    first = _register(client)
    second = _register(client, given_name="Minh")
    _linked_family(app, first)
    path = _invite(client, second, FAMILY_EMAIL)
    client.cookies.clear()
    for attempt in range(4):
        wrong = client.post(path, data={"display_name": "x", "password": f"guess {attempt:04}"})
        assert wrong.status_code == 422, wrong.text
    too_soon = client.post(path, data={"display_name": "x", "password": FAMILY_PASSWORD})
    assert too_soon.status_code == 429
    assert too_soon.headers["retry-after"] == "1"
    assert "several wrong passwords for this account. Wait 1 second," in too_soon.text
    page = client.get("/sign-in")
    sign_in_page = client.post(
        "/sign-in",
        data={
            "email": FAMILY_EMAIL,
            "password": FAMILY_PASSWORD,
            "csrf_token": form_token(page.text),
        },
    )
    assert sign_in_page.status_code == 429
    clock.advance(seconds=1)
    right = client.post(path, data={"display_name": "x", "password": FAMILY_PASSWORD})
    assert right.status_code == 303, right.text
    assert right.headers["location"] == "/family"


def test_an_invitation_still_works_with_the_right_password_after_the_free_failures(
    client: TestClient, app: FastAPI
) -> None:
    """A few wrong guesses, then the right password: the invitation links the second child."""
    first = _register(client)
    second = _register(client, given_name="Minh")
    _linked_family(app, first)
    path = _invite(client, second, FAMILY_EMAIL)
    client.cookies.clear()
    for attempt in range(3):
        wrong = client.post(path, data={"display_name": "x", "password": f"guess {attempt:04}"})
        assert wrong.status_code == 422, wrong.text
    right = client.post(path, data={"display_name": "x", "password": FAMILY_PASSWORD})
    assert right.status_code == 303, right.text
    assert right.headers["location"] == "/family"


# --- medicine times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given_at",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00"],
)
def test_an_impossible_medicine_time_is_refused_by_field_not_a_500(
    client: TestClient, app: FastAPI, given_at: str
) -> None:
    """A dose time outside what a datetime holds in UTC, or years before the entry, is a 422
    naming given_at, from the API and from the diary form."""
    child_id = _register(client)
    _linked_family(app, child_id)
    headers = _family_api(client)
    api = client.post(
        f"/api/family/children/{child_id}/diary",
        json={"kind": "medicine", "medicine": "paracetamol", "given_at": given_at},
        headers=headers,
    )
    assert api.status_code == 422, api.text
    assert api.json()["field"] == "given_at"
    csrf = form_token(client.get(f"/family/children/{child_id}/diary").text)
    form = client.post(
        f"/family/children/{child_id}/diary",
        data={"csrf_token": csrf, "kind": "medicine", "medicine": "x", "given_at": given_at},
    )
    assert form.status_code == 422, form.text


def test_a_dose_given_this_morning_is_still_recorded(client: TestClient, app: FastAPI) -> None:
    """The new bounds leave an ordinary dose alone (the clock reads 2026-03-02 09:30 UTC)."""
    child_id = _register(client)
    _linked_family(app, child_id)
    given = client.post(
        f"/api/family/children/{child_id}/diary",
        json={"kind": "medicine", "medicine": "paracetamol", "given_at": "2026-03-02T08:00+11:00"},
        headers=_family_api(client),
    )
    assert given.status_code == 201, given.text


# --- the request log -----------------------------------------------------------------------------


def test_the_request_log_never_holds_an_invitation_or_calendar_token(
    client: TestClient, app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """Invitation links and calendar feeds are logged by their route template, not the token."""
    child_id = _register(client)
    path = _invite(client, child_id, "new.parent@example.org")
    invitation_token = path.rsplit("/", 1)[1]
    calendar_token = "Zm9yLXRoZS1sb2ctdGVzdC1vbmx5LW5vdC1hLXJlYWwtZmVlZA"  # noqa: S105 -- synthetic
    caplog.set_level(logging.INFO, logger="hipcare")
    client.cookies.clear()
    assert client.get(path).status_code == 200
    client.post(path, data={"display_name": "A Parent", "password": "short"})
    client.get(f"/calendar/{calendar_token}.ics")
    client.get(f"/invite/{invitation_token}/extra")
    logged = "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith("hipcare")
    )
    assert "GET /invite/{token} 200" in logged, logged
    assert "POST /invite/{token} 422" in logged, logged
    assert "GET /calendar/{token}.ics 404" in logged, logged
    assert invitation_token not in logged
    assert calendar_token not in logged


# --- control characters in text ------------------------------------------------------------------


def test_a_nul_byte_in_a_childs_name_is_refused_with_a_sentence(client: TestClient) -> None:
    """On PostgreSQL a NUL cannot be stored at all (it was a 500); on both it is a 422."""
    client.cookies.clear()
    csrf = sign_in(client, "nurse")
    page = client.post("/children", data={**CHILD_FORM, "given_name": "a\x00b", "csrf_token": csrf})
    assert page.status_code == 422, page.text
    assert "control character" in page.text
    signed = client.post("/api/sign-in", json={"email": EMAILS["nurse"], "password": PASSWORD})
    headers = {"X-CSRF-Token": signed.json()["csrf_token"]}
    api = client.post(
        "/api/children",
        json={
            "given_name": "Ali",
            "family_name": "Had\x1bdad",
            "date_of_birth": "2021-01-02",
            "site": "harbour-childrens",
            "contacts": [{"name": "Omar Haddad", "relationship": "father", "phone": "0400 555"}],
        },
        headers=headers,
    )
    assert api.status_code == 422, api.text
    assert api.json()["field"] == "family_name"
    assert "control character (U+001B)" in api.json()["problem"]


def test_a_diary_note_refuses_a_nul_but_keeps_line_breaks(
    client: TestClient, app: FastAPI, uow: SqlAlchemyUnitOfWork
) -> None:
    """A note may span lines (a textarea sends CR LF); a NUL in it is a 422 naming the note."""
    child_id = _register(client)
    _linked_family(app, child_id)
    headers = _family_api(client)
    refused = client.post(
        f"/api/family/children/{child_id}/diary",
        json={"kind": "unwell", "description": "fever\x00", "note": "x"},
        headers=headers,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "description"
    note = client.post(
        f"/api/family/children/{child_id}/diary",
        json={"kind": "pain-numeric", "pain_score": 2, "note": "slept\x00 badly"},
        headers=headers,
    )
    assert note.status_code == 422, note.text
    assert note.json()["field"] == "note"
    kept = client.post(
        f"/api/family/children/{child_id}/diary",
        json={"kind": "unwell", "description": "fever\r\nsince\tlast night", "note": "a\nb"},
        headers=headers,
    )
    assert kept.status_code == 201, kept.text
    csrf = form_token(client.get(f"/family/children/{child_id}/diary").text)
    words = client.post(
        f"/family/children/{child_id}/pain-words", data={"csrf_token": csrf, "face": "frowns\x00"}
    )
    assert words.status_code == 422, words.text


def test_a_nul_in_a_sign_in_email_or_a_name_search_is_no_500(client: TestClient) -> None:
    """PostgreSQL cannot compare text with a NUL: a sign-in with one is a wrong email (401),
    and a name search with one searches the rest of the name."""
    api = client.post("/api/sign-in", json={"email": "a\x00b@example.org", "password": "x" * 12})
    assert api.status_code == 401, api.text
    page = client.get("/sign-in")
    form = client.post(
        "/sign-in",
        data={"email": "a\x00b@example.org", "password": "x", "csrf_token": form_token(page.text)},
    )
    assert form.status_code == 401
    _register(client)
    found = client.get("/api/children", params={"name": "Ngoc\x00Anh"})
    assert found.status_code == 200, found.text
    assert [child["given_name"] for child in found.json()] == ["Ngoc Anh"]
