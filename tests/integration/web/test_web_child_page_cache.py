"""The child page's cache (ADR 10): a cached page is the page, every change shows on the next
view, every view is authorised and audited, and two app processes never disagree."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from clinical_flows import operation_document
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.fixtures.radiographs import SMALL, dicom_dataset, pelvis_pixels
from web_support import CHILD_FORM, EMAILS, PASSWORD, Clock, Staff, form_token, sign_in

from hipcare.content.pathway import load_pathway
from hipcare.domain.records import AuditAction, EntityType, Role, User
from hipcare.settings import Settings
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web import create_app
from hipcare.web.rendering import CSRF_PLACEHOLDER

FAMILY_EMAIL = "lan@example.org"
_SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "sample_film.json").read_text()
)


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, dict):
        return {key: _scaled(item, factor) for key, item in value.items()}
    return [round(value[0] * factor, 2), round(value[1] * factor, 2)]


LANDMARKS = _scaled(_SAMPLE["landmarks"], SMALL[1] / 2500)


def _register(client: TestClient, token: str) -> int:
    response = client.post("/children", data={**CHILD_FORM, "csrf_token": token})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _api(client: TestClient, who: str) -> dict[str, str]:
    """Sign ``who`` in through the API (in the same client); the CSRF header to send."""
    client.cookies.clear()
    response = client.post("/api/sign-in", json={"email": EMAILS[who], "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def _reads(uow: SqlAlchemyUnitOfWork, child_id: int) -> list[str]:
    with uow:
        return [
            entry.action.value for entry in uow.audit.for_entity(EntityType.CHILD, str(child_id))
        ]


def _cache(app: FastAPI) -> Any:
    return app.state.hipcare.page_cache


def test_a_cached_page_is_byte_for_byte_the_page_rendered_afresh(
    settings: Settings, clock: Clock, app: FastAPI, staff: Staff
) -> None:
    """The same session on an app with the cache and one without gets the same bytes."""
    uncached_app = create_app(dataclasses.replace(settings, page_cache_entries=0), clock=clock)
    with (
        TestClient(app, follow_redirects=False) as cached,
        TestClient(uncached_app, follow_redirects=False) as uncached,
    ):
        token = sign_in(cached, "nurse")
        child_id = _register(cached, token)
        uncached.cookies.set("hipcare_session", cached.cookies["hipcare_session"])
        first = cached.get(f"/children/{child_id}")
        hits = _cache(app).hits
        second = cached.get(f"/children/{child_id}")
        assert _cache(app).hits == hits + 1, "the second view came from the cache"
        fresh = uncached.get(f"/children/{child_id}")
        assert _cache(uncached_app).hits == 0
        assert first.status_code == second.status_code == fresh.status_code == 200
        assert second.content == first.content == fresh.content
        assert CSRF_PLACEHOLDER not in second.text
        assert f'name="csrf_token" value="{token}"' in second.text
    uncached_app.state.hipcare.engine.dispose()


def test_the_csrf_token_in_a_cached_page_is_the_viewers_own(client: TestClient) -> None:
    """Two sessions of one user share the cached body, never each other's token."""
    first = sign_in(client, "nurse")
    child_id = _register(client, first)
    page = client.get(f"/children/{child_id}")
    client.cookies.clear()
    second = sign_in(client, "nurse")
    assert second != first
    again = client.get(f"/children/{child_id}")
    assert second in again.text
    assert first not in again.text
    assert page.text.replace(first, second) == again.text


@pytest.fixture
def family_child(app: FastAPI, client: TestClient, password_hash: str, staff: Staff) -> int:
    """A Harbour child registered by the nurse, with a family account linked to them."""
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    uow = SqlAlchemyUnitOfWork(app.state.hipcare.session_factory)
    with uow:
        user = uow.users.add(
            User(FAMILY_EMAIL, "Lan Nguyen", Role.FAMILY, None, password_hash=password_hash)
        )
        assert user.id is not None
        uow.family.link(user.id, child_id, datetime(2026, 3, 1, tzinfo=UTC))
        uow.commit()
    return child_id


def _dicom() -> bytes:
    identifiers = {
        "patient_id": "SYN-1",
        "patient_name": "Nguyen^Ngoc Anh",
        "birth_date": date(2022, 5, 14),
        "study_date": date(2026, 2, 20),
    }
    buffer = io.BytesIO()
    dicom_dataset(pelvis_pixels(*SMALL), identifiers=identifiers).save_as(
        buffer, enforce_file_format=True
    )
    return buffer.getvalue()


def test_a_change_through_each_use_case_shows_on_the_next_view(
    client: TestClient, app: FastAPI, family_child: int, staff: Staff
) -> None:
    """Visit, film, reading, operation plan, pathway, tick, diary entry (and its alert), alert
    acknowledged, family invitation: each moves the record version, so the page is new."""
    child_id = family_child
    page = f"/children/{child_id}"
    session: dict[str, str] = {}

    def nurse_view() -> str:
        """The page as the nurse sees it (a new session each time: the token made neutral)."""
        client.cookies.clear()
        session["token"] = sign_in(client, "nurse")
        response = client.get(page)
        assert response.status_code == 200
        return response.text.replace(session["token"], "TOKEN")

    def changed(before: str, *expected: str) -> str:
        misses = _cache(app).misses
        after = nurse_view()
        assert _cache(app).misses == misses + 1, "the changed record was rendered afresh"
        assert after != before
        for text in expected:
            assert text in after
            assert text not in before
        return after

    shown = nurse_view()
    assert nurse_view() == shown  # cached

    response = client.post(
        f"{page}/visits",
        data={
            "csrf_token": session["token"],
            "visit_date": "2026-02-20",
            "xray": "yes",
            "right_mp": "22",
        },
    )
    assert response.status_code == 303, response.text
    shown = changed(shown, '<time datetime="2026-02-20">2026-02-20</time></th>')

    response = client.post(
        f"{page}/radiographs",
        data={"csrf_token": session["token"], "film_date": ""},
        files={"file": ("film.dcm", _dicom(), "application/octet-stream")},
    )
    assert response.status_code == 303, response.text
    film_id = int(response.headers["location"].rsplit("/", 1)[1])
    shown = changed(shown, f'href="/radiographs/{film_id}"')

    headers = _api(client, "nurse")
    saved = client.post(
        f"/api/radiographs/{film_id}/readings", json={"landmarks": LANDMARKS}, headers=headers
    )
    assert saved.status_code in (200, 201), saved.text
    shown = changed(shown, "Reading 1 (the record's measure)")

    headers = _api(client, "surgeon")
    operation = client.post(
        f"/api/children/{child_id}/operations",
        json=operation_document(
            child_id, staff.surgeon, weight_bearing="as-tolerated", positioning_device=False
        ),
        headers=headers,
    )
    assert operation.status_code == 201, operation.text
    operation_id = operation.json()["id"]
    shown = changed(shown, "Operation 1: ", "Ada Surgeon")

    headers = _api(client, "surgeon")
    started = client.post(
        f"/api/children/{child_id}/operations/{operation_id}/pathway",
        json={"wheelchair_user": True, "attends_school": True, "sees_therapists": True},
        headers=headers,
    )
    assert started.status_code == 201, started.text
    # A task (information is read, not ticked, and shows no tick: issue 17).
    information = load_pathway().information_ids
    item_id = next(i["item_id"] for i in started.json() if i["item_id"] not in information)
    shown = changed(shown, f'id="item-{item_id}"')

    headers = _api(client, "surgeon")
    ticked = client.post(
        f"/api/children/{child_id}/operations/{operation_id}/items/{item_id}/done",
        headers=headers,
    )
    assert ticked.status_code == 200, ticked.text
    shown = changed(shown, "✓ Ada Surgeon")

    client.cookies.clear()
    family = client.post("/api/sign-in", json={"email": FAMILY_EMAIL, "password": PASSWORD})
    assert family.status_code == 200, family.text
    entry = client.post(
        f"/api/family/children/{child_id}/diary",
        json={
            "kind": "pain-r-flacc",
            "face": 2,
            "legs": 2,
            "activity": 1,
            "cry": 1,
            "consolability": 1,
        },
        headers={"X-CSRF-Token": family.json()["csrf_token"]},
    )
    assert entry.status_code == 201, entry.text
    shown = changed(shown, "Pain, r-FLACC 7/10", "<strong>not acknowledged</strong>")

    headers = _api(client, "nurse")
    alert_id = re.search(rf"/children/{child_id}/alerts/(\d+)/acknowledge", shown)
    assert alert_id, "the page offers to acknowledge the alert"
    acknowledged = client.post(
        f"/api/children/{child_id}/alerts/{alert_id.group(1)}/acknowledge", headers=headers
    )
    assert acknowledged.status_code == 200, acknowledged.text
    shown = changed(shown, "acknowledged at")

    client.cookies.clear()
    token = sign_in(client, "nurse")
    before = client.get(page).text
    invited = client.post(
        f"{page}/invite-family", data={"csrf_token": token, "email": "grandma@example.org"}
    )
    assert invited.status_code == 200, invited.text
    misses = _cache(app).misses
    assert client.get(page).text == before  # the page shows no invitation, but:
    assert _cache(app).misses == misses + 1, "an invitation is part of the record: new version"


def test_a_renamed_member_of_staff_shows_on_the_next_view(
    client: TestClient, app: FastAPI, staff: Staff
) -> None:
    """Staff names are in no record: the page generation moves when a user changes."""
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    headers = _api(client, "surgeon")
    operation = client.post(
        f"/api/children/{child_id}/operations",
        json=operation_document(
            child_id, staff.surgeon, weight_bearing="as-tolerated", positioning_device=False
        ),
        headers=headers,
    )
    assert operation.status_code == 201, operation.text
    client.cookies.clear()
    sign_in(client, "nurse")
    assert "Ada Surgeon" in client.get(f"/children/{child_id}").text
    with app.state.hipcare.engine.begin() as connection:
        from sqlalchemy import update

        from hipcare.storage.tables import UserRow

        connection.execute(
            update(UserRow).where(UserRow.id == staff.surgeon).values(display_name="Ada Lovelace")
        )
    page = client.get(f"/children/{child_id}").text
    assert "Ada Lovelace" in page
    assert "Ada Surgeon" not in page


def test_every_view_is_audited_once_and_refusals_on_a_cached_page_are_audited(
    client: TestClient,
    app: FastAPI,
    family_child: int,
    uow: SqlAlchemyUnitOfWork,
) -> None:
    """Cache hits still authorise and audit: one child.read per view, and another site's
    clinician and a family account are refused (access.denied) though the page is cached."""
    child_id = family_child
    client.cookies.clear()
    sign_in(client, "nurse")
    before = _reads(uow, child_id).count(AuditAction.CHILD_READ.value)
    hits = _cache(app).hits
    for _ in range(3):
        assert client.get(f"/children/{child_id}").status_code == 200
    assert _cache(app).hits == hits + 2
    assert _reads(uow, child_id).count(AuditAction.CHILD_READ.value) == before + 3

    client.cookies.clear()
    sign_in(client, "physiotherapist")  # Northern only; the child is at Harbour
    denied = client.get(f"/children/{child_id}")
    assert denied.status_code == 403
    assert "Ngoc Anh" not in denied.text

    client.cookies.clear()
    page = client.get("/sign-in")
    client.post(
        "/sign-in",
        data={"email": FAMILY_EMAIL, "password": PASSWORD, "csrf_token": form_token(page.text)},
    )
    refused = client.get(f"/children/{child_id}")
    assert refused.status_code == 403
    assert "Ngoc Anh" not in refused.text

    client.cookies.clear()
    nobody = client.get(f"/children/{child_id}")
    assert nobody.status_code == 303
    assert nobody.headers["location"].startswith("/sign-in")

    actions = _reads(uow, child_id)
    assert actions.count(AuditAction.ACCESS_DENIED.value) == 2
    assert actions.count(AuditAction.CHILD_READ.value) == before + 3


def test_an_unknown_child_is_not_found_and_a_cache_of_zero_keeps_nothing(
    settings: Settings, clock: Clock, staff: Staff
) -> None:
    app = create_app(dataclasses.replace(settings, page_cache_entries=0), clock=clock)
    with TestClient(app, follow_redirects=False) as client:
        token = sign_in(client, "nurse")
        child_id = _register(client, token)
        assert client.get(f"/children/{child_id}").status_code == 200
        assert client.get(f"/children/{child_id}").status_code == 200
        assert client.get("/children/999999").status_code == 404
        assert len(_cache(app)) == 0
        assert _cache(app).hits == 0
    app.state.hipcare.engine.dispose()


def test_a_change_through_another_app_process_shows_at_once(
    settings: Settings, clock: Clock, app: FastAPI, staff: Staff
) -> None:
    """Two app instances (own engines and caches, as two servers) on one database: a visit
    recorded through one shows on the other's next view though it had the page cached."""
    second_app = create_app(settings, clock=clock)
    with (
        TestClient(app, follow_redirects=False) as first,
        TestClient(second_app, follow_redirects=False) as second,
    ):
        token = sign_in(first, "nurse")
        child_id = _register(first, token)
        second.cookies.set("hipcare_session", first.cookies["hipcare_session"])
        page = second.get(f"/children/{child_id}").text
        assert second.get(f"/children/{child_id}").text == page  # now cached in the second
        recorded = first.post(
            f"/children/{child_id}/visits",
            data={"csrf_token": token, "visit_date": "2026-02-21", "xray": "no"},
        )
        assert recorded.status_code == 303, recorded.text
        after = second.get(f"/children/{child_id}").text
        assert "2026-02-21" in after
        assert "2026-02-21" not in page
    second_app.state.hipcare.engine.dispose()


def test_an_expired_session_is_sent_to_sign_in_even_with_the_page_cached(
    client: TestClient, clock: Clock
) -> None:
    """The child page reads the session with its header; the accounts' expiry still rules."""
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    assert client.get(f"/children/{child_id}").status_code == 200
    clock.advance(minutes=29)
    assert client.get(f"/children/{child_id}").status_code == 200  # used: idle time restarts
    clock.advance(minutes=29)
    assert client.get(f"/children/{child_id}").status_code == 200
    clock.advance(minutes=31)
    expired = client.get(f"/children/{child_id}")
    assert expired.status_code == 303
    assert expired.headers["location"] == f"/sign-in?next=/children/{child_id}"
    assert client.get("/").status_code == 303, "the expired session was deleted"
