"""The family side on SQLite and PostgreSQL: invitations (single use, expiry), the "today"
page, ticks the clinician sees, diary alerts, photos, the calendar feed and its revocation,
languages, audit, and an authorisation matrix over every family route."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route
from web_support import CHILD_FORM, HARBOUR, NORTHERN, PASSWORD, Clock, Staff, form_token, sign_in

from hipcare.domain.records import AuditAction, Profession, Role, User
from hipcare.settings import Settings
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web import create_app

FAMILY_PASSWORD = "our family password"  # noqa: S105 -- synthetic
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LEE = "lee.surgeon@example.org"


@pytest.fixture
def lee(uow: SqlAlchemyUnitOfWork, password_hash: str, staff: Staff) -> int:
    with uow:
        user = uow.users.add(
            User(
                LEE,
                "Sam Lee",
                Role.CLINICIAN,
                Profession.SURGEON,
                frozenset({HARBOUR}),
                password_hash=password_hash,
                surgeon_profile="dr-lee",
            )
        )
        uow.commit()
    assert user.id is not None
    return user.id


def _api_headers(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    client.cookies.clear()
    response = client.post("/api/sign-in", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def _child_with_plan(client: TestClient, surgeon: int, **changes: str) -> int:
    """A Harbour child whose pathway the nurse has started (surgery 2026-04-20)."""
    client.cookies.clear()
    token = sign_in(client, "nurse")
    response = client.post("/children", data={**CHILD_FORM, **changes, "csrf_token": token})
    assert response.status_code == 303, response.text
    child_id = int(response.headers["location"].rsplit("/", 1)[1])
    headers = _api_headers(client, "nurse@example.org")
    operation = client.post(
        f"/api/children/{child_id}/operations",
        json={
            "sides": "right",
            "procedures": ["vdro"],
            "implant": "Paediatric locking hip plate 3.5 mm",
            "surgeon_id": surgeon,
            "surgery_date": "2026-04-20",
        },
        headers=headers,
    )
    assert operation.status_code == 201, operation.text
    started = client.post(
        f"/api/children/{child_id}/operations/{operation.json()['id']}/pathway",
        json={"wheelchair_user": True, "attends_school": True, "sees_therapists": True},
        headers=headers,
    )
    assert started.status_code == 201, started.text
    return child_id


def _invite(
    client: TestClient, child_id: int, email: str, who: str = "nurse", language: str = "en"
) -> str:
    """The nurse invites ``email`` (an invitation in ``language``); returns the link's path."""
    client.cookies.clear()
    token = sign_in(client, who)
    response = client.post(
        f"/children/{child_id}/invite-family",
        data={"csrf_token": token, "email": email, "language": language},
    )
    assert response.status_code == 200, response.text
    found = re.search(r'value="http://testserver(/invite/[^"]+)"', response.text)
    assert found, response.text
    return found.group(1)


def _cheapen(app: FastAPI, email: str, password_hash: str) -> None:
    """Give the new family account the fixtures' cheap hash of FAMILY_PASSWORD, so the many
    sign-ins below take a millisecond each, not the app's deliberate ~0.2 s."""
    from sqlalchemy import update

    from hipcare.storage.tables import UserRow

    with app.state.hipcare.engine.begin() as connection:
        connection.execute(
            update(UserRow).where(UserRow.email == email).values(password_hash=password_hash)
        )


def _accept(client: TestClient, path: str, name: str = "Lan Nguyen") -> str:
    """Accept an invitation; returns the signed-in family member's CSRF token."""
    client.cookies.clear()
    page = client.get(path)
    assert page.status_code == 200, page.text
    response = client.post(path, data={"display_name": name, "password": FAMILY_PASSWORD})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/family"
    home = client.get("/family")
    assert home.status_code == 303  # one child: straight to their page
    page = client.get(home.headers["location"])
    assert page.status_code == 200
    return form_token(page.text)


def _family_sign_in(client: TestClient, email: str) -> str:
    client.cookies.clear()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": email, "password": FAMILY_PASSWORD, "csrf_token": form_token(page.text)},
    )
    assert response.status_code == 303, response.text
    children = client.get("/family", follow_redirects=True)
    return form_token(children.text)


@dataclass
class Family:
    child_id: int
    email: str


@pytest.fixture
def family_hash() -> str:
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(FAMILY_PASSWORD)


def _linked_family(app: FastAPI, email: str, name: str, child_id: int, password_hash: str) -> None:
    """A family account linked to the child, stored directly (the invitation flow has its own
    tests); its password is FAMILY_PASSWORD under a cheap hash."""
    from hipcare.storage import SqlAlchemyUnitOfWork

    uow = SqlAlchemyUnitOfWork(app.state.hipcare.session_factory)
    with uow:
        user = uow.users.add(User(email, name, Role.FAMILY, None, password_hash=password_hash))
        assert user.id is not None
        uow.family.link(user.id, child_id, datetime(2026, 3, 1, tzinfo=UTC))
        uow.commit()


@pytest.fixture
def family(client: TestClient, app: FastAPI, lee: int, family_hash: str) -> Family:
    child_id = _child_with_plan(client, lee)
    _linked_family(app, "lan@example.org", "Lan Nguyen", child_id, family_hash)
    return Family(child_id, "lan@example.org")


def _audit_actions(uow: SqlAlchemyUnitOfWork, child_id: int) -> list[AuditAction]:
    from hipcare.domain.records import EntityType

    with uow:
        return [entry.action for entry in uow.audit.for_entity(EntityType.CHILD, str(child_id))]


# --- invitations -------------------------------------------------------------------------------


def test_an_invitation_works_once_and_links_only_that_child(
    client: TestClient, lee: int, uow: SqlAlchemyUnitOfWork
) -> None:
    child_id = _child_with_plan(client, lee)
    path = _invite(client, child_id, "Lan@Example.org")
    token = path.rsplit("/", 1)[1]
    with uow:
        rows = uow.users.by_email("lan@example.org")
    assert rows is None  # no account until the link is used
    _accept(client, path)
    again = client.post(path, data={"display_name": "Someone", "password": FAMILY_PASSWORD})
    assert again.status_code == 404
    assert "does not work" in again.text
    with uow:
        user = uow.users.by_email("lan@example.org")
    assert user is not None
    assert user.role is Role.FAMILY
    assert user.site_ids == frozenset()
    from hipcare.storage.tables import FamilyInvitationRow

    with uow:
        session = uow.orm_session()
        stored = session.get(FamilyInvitationRow, token)
    assert stored is None, "the token itself is never a key in the database"
    actions = _audit_actions(uow, child_id)
    assert AuditAction.FAMILY_INVITED in actions
    assert AuditAction.INVITATION_ACCEPTED in actions


def test_an_invitation_expires_after_seven_days(client: TestClient, lee: int, clock: Clock) -> None:
    child_id = _child_with_plan(client, lee)
    path = _invite(client, child_id, "late@example.org")
    clock.advance(days=7, seconds=1)
    client.cookies.clear()
    assert client.get(path).status_code == 404
    late = client.post(path, data={"display_name": "Late", "password": FAMILY_PASSWORD})
    assert late.status_code == 404


def test_a_second_invitation_adds_a_child_to_the_same_family_account(
    client: TestClient, lee: int
) -> None:
    first = _child_with_plan(client, lee)
    second = _child_with_plan(client, lee, given_name="Minh")
    _accept(client, _invite(client, first, "lan@example.org"))
    path = _invite(client, second, "lan@example.org")
    client.cookies.clear()
    assert "already have an account" in client.get(path).text
    wrong = client.post(path, data={"password": "not the password"})
    assert wrong.status_code == 422
    right = client.post(path, data={"password": FAMILY_PASSWORD})
    assert right.status_code == 303
    home = client.get("/family")
    assert home.status_code == 200
    assert f"/family/children/{first}" in home.text
    assert f"/family/children/{second}" in home.text


def test_only_a_clinician_of_the_childs_site_can_invite(client: TestClient, lee: int) -> None:
    child_id = _child_with_plan(client, lee)
    client.cookies.clear()
    token = sign_in(client, "physiotherapist")  # Northern only
    refused = client.post(
        f"/children/{child_id}/invite-family", data={"csrf_token": token, "email": "x@example.org"}
    )
    assert refused.status_code == 403


# --- today, ticks, plan, booklet -----------------------------------------------------------------


def test_the_today_page_shows_what_to_do_and_a_tick_shows_on_the_clinicians_plan(
    client: TestClient, family: Family, clock: Clock
) -> None:
    headers = _api_headers(client, family.email, FAMILY_PASSWORD)
    today = client.get(f"/api/family/children/{family.child_id}/today", headers=headers).json()
    assert today["plan_started"] is True
    assert today["coming_next"], "the next steps are listed"
    first_family_item = next(item for item in today["coming_next"] if item["tickable"])
    # Move to that item's day: it is then today's step.
    from datetime import date

    days = (date.fromisoformat(first_family_item["date"]) - clock.now.date()).days
    clock.advance(days=days)
    headers = _api_headers(client, family.email, FAMILY_PASSWORD)  # the old session expired
    today = client.get(f"/api/family/children/{family.child_id}/today", headers=headers).json()
    assert first_family_item["id"] in [item["id"] for item in today["today_items"]]
    token = _family_sign_in(client, family.email)
    page = client.get(f"/family/children/{family.child_id}")
    assert page.status_code == 200
    assert f'id="item-{first_family_item["id"]}"' in page.text
    ticked = client.post(
        f"/family/children/{family.child_id}/items/{first_family_item['id']}/tick",
        data={"csrf_token": token},
    )
    assert ticked.status_code == 303
    client.cookies.clear()
    sign_in(client, "nurse")
    clinician_page = client.get(f"/children/{family.child_id}")
    row = re.search(
        rf'<tr id="item-{first_family_item["id"]}">.*?</tr>', clinician_page.text, re.DOTALL
    )
    assert row is not None
    assert "Lan Nguyen" in row.group(0), "the clinician sees who ticked it"


def test_a_family_cannot_tick_a_step_that_is_not_in_their_plan(
    client: TestClient, family: Family
) -> None:
    headers = _api_headers(client, family.email, FAMILY_PASSWORD)
    response = client.post(
        f"/api/family/children/{family.child_id}/items/no-such-item/tick", headers=headers
    )
    assert response.status_code == 422
    assert response.json()["field"] == "item_id"


@pytest.mark.parametrize("item_id", ["postop-xray", "plate-removal-review"])
def test_a_familys_tick_of_a_care_team_item_is_refused_audited_and_changes_nothing(
    client: TestClient, family: Family, uow: SqlAlchemyUnitOfWork, item_id: str
) -> None:
    """The API and the page form both answer 403 for the care team's items; the item stays
    not done and the refusal is in the audit log."""
    from hipcare.services.family import started_care_plan

    headers = _api_headers(client, family.email, FAMILY_PASSWORD)
    today = client.get(f"/api/family/children/{family.child_id}/today", headers=headers).json()
    listed = today["coming_next"] + today["today_items"] + today["still_to_do"]
    assert all(not item["tickable"] for item in listed if item["id"] == item_id)
    response = client.post(
        f"/api/family/children/{family.child_id}/items/{item_id}/tick", headers=headers
    )
    assert response.status_code == 403
    token = _family_sign_in(client, family.email)
    page = client.post(
        f"/family/children/{family.child_id}/items/{item_id}/tick", data={"csrf_token": token}
    )
    assert page.status_code == 403
    with uow:
        started = started_care_plan(uow, family.child_id)
        assert started is not None
        state = next(state for state in started[1] if state.item_id == item_id)
    assert not state.done
    assert _audit_actions(uow, family.child_id).count(AuditAction.ACCESS_DENIED) == 2
    assert AuditAction.CARE_ITEM_TICKED not in _audit_actions(uow, family.child_id)


def test_a_second_family_member_ticking_a_done_step_gets_a_conflict(
    client: TestClient, app: FastAPI, family: Family, family_hash: str
) -> None:
    """The first tick wins; the same person again changes nothing (200); another family
    member is told someone else ticked it first (409), not "done by you"."""
    _linked_family(app, "second@example.org", "Second Parent", family.child_id, family_hash)
    headers = _api_headers(client, family.email, FAMILY_PASSWORD)
    today = client.get(f"/api/family/children/{family.child_id}/today", headers=headers).json()
    item_id = next(item["id"] for item in today["coming_next"] if item["tickable"])
    url = f"/api/family/children/{family.child_id}/items/{item_id}/tick"
    first = client.post(url, headers=headers)
    assert first.status_code == 200
    assert client.post(url, headers=headers).json() == first.json()
    other = client.post(url, headers=_api_headers(client, "second@example.org", FAMILY_PASSWORD))
    assert other.status_code == 409
    assert other.json()["field"] == "item_id"
    assert "someone else" in other.json()["problem"]


def test_the_whole_plan_and_the_booklet_are_in_the_familys_language(
    client: TestClient, family: Family
) -> None:
    _family_sign_in(client, family.email)
    plan = client.get(f"/family/children/{family.child_id}/plan")
    assert plan.status_code == 200
    assert plan.text.count("<section") >= 3
    assert '<html lang="vi" dir="ltr">' in plan.text  # the child's preferred language
    arabic = client.get(f"/family/children/{family.child_id}?lang=ar")
    assert '<html lang="ar" dir="rtl">' in arabic.text
    follows = client.get(f"/family/children/{family.child_id}/diary")
    assert '<html lang="ar" dir="rtl">' in follows.text, "the choice is remembered"
    booklet = client.get(f"/family/children/{family.child_id}/booklet?lang=fa")
    assert booklet.status_code == 200
    assert 'dir="rtl"' in booklet.text
    assert 'lang="fa"' in booklet.text


def test_an_arabic_speaking_familys_offline_page_is_arabic_and_right_to_left(
    client: TestClient, app: FastAPI, lee: int, family_hash: str
) -> None:
    """The service worker keeps the "No signal" page in the language of the pages it keeps
    (the lang of their <html>, asked with ?lang=): for an Arabic-speaking family, Arabic,
    right to left, with no script, no name and no cookie."""
    child_id = _child_with_plan(client, lee, preferred_language="ar")
    _linked_family(app, "amal@example.org", "Amal Haddad", child_id, family_hash)
    _family_sign_in(client, "amal@example.org")
    today = client.get(f"/family/children/{child_id}")
    found = re.search(r'<html[^>]*\slang="([A-Za-z-]+)"', today.text)  # the worker's pattern
    assert found is not None
    assert found.group(1) == "ar"
    worker = client.get("/family/sw.js").text
    assert 'const OFFLINE = "/family/offline";' in worker
    assert '"?lang="' in worker
    client.cookies.clear()  # the worker asks without the session (credentials: "omit")
    offline = client.get(f"/family/offline?lang={found.group(1)}")
    assert offline.status_code == 200
    assert '<html lang="ar" dir="rtl">' in offline.text
    assert "<h1>لا توجد إشارة</h1>" in offline.text
    assert "اتصل بالمستشفى الآن" in offline.text
    assert "No signal" not in offline.text
    assert offline.headers["content-language"] == "ar"
    assert "set-cookie" not in offline.headers
    assert "<script" not in offline.text
    assert "script-src 'self'" in offline.headers["content-security-policy"]
    assert "Amal" not in offline.text
    assert "Ngoc" not in offline.text
    english = client.get("/family/offline")
    assert '<html lang="en" dir="ltr">' in english.text
    assert "<h1>No signal</h1>" in english.text


def test_the_booklet_pdf_downloads(client: TestClient, family: Family) -> None:
    _family_sign_in(client, family.email)
    pdf = client.get(f"/family/children/{family.child_id}/booklet.pdf?lang=en")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


# --- diary -------------------------------------------------------------------------------------


def test_a_high_r_flacc_score_raises_an_alert_and_says_whom_to_call(
    client: TestClient, family: Family, uow: SqlAlchemyUnitOfWork
) -> None:
    token = _family_sign_in(client, family.email)
    scores = {"face": "2", "legs": "2", "activity": "1", "cry": "1", "consolability": "1"}
    response = client.post(
        f"/family/children/{family.child_id}/diary?lang=en",
        data={"csrf_token": token, "kind": "pain-r-flacc", **scores},
    )
    assert response.status_code == 200, response.text
    assert "We have told the care team." in response.text
    assert "02 5550 1234" in response.text  # Harbour's orthopaedic nurse (sites.toml)
    assert "to be confirmed by the clinical lead" in response.text  # 7 is local protocol
    with uow:
        alerts = uow.alerts.for_child(family.child_id)
    assert [alert.kind for alert in alerts] == ["diary-pain-r-flacc"]
    assert AuditAction.ALERT_RAISED in _audit_actions(uow, family.child_id)
    # The care team sees it and acknowledges it.
    headers = _api_headers(client, "nurse@example.org")
    dashboard = client.get(f"/api/sites/{HARBOUR}/dashboard", headers=headers).json()
    assert any(alert["kind"] == "diary-pain-r-flacc" for alert in dashboard["open_alerts"])
    diary = client.get(f"/api/family/children/{family.child_id}/diary", headers=headers)
    assert diary.status_code == 200
    assert diary.json()[0]["data"]["total"] == 7
    client.cookies.clear()
    sign_in(client, "nurse")
    page = client.get(f"/children/{family.child_id}")
    assert "Family diary" in page.text
    assert "Pain, r-FLACC 7/10" in page.text
    assert "call team (alert raised)" in page.text


def test_a_moderate_score_gives_advice_but_raises_no_alert(
    client: TestClient, family: Family, uow: SqlAlchemyUnitOfWork
) -> None:
    headers = _api_headers(client, family.email, FAMILY_PASSWORD)
    response = client.post(
        f"/api/family/children/{family.child_id}/diary",
        json={"kind": "pain-numeric", "pain_score": 5},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["urgency"] == "watch"
    assert body["alert_id"] is None
    assert body["advice"]
    assert body["contacts"] == []
    with uow:
        assert uow.alerts.for_child(family.child_id) == []


def test_skin_findings_alert_from_npiap_stage_1(client: TestClient, family: Family) -> None:
    """No red area or redness that fades: no alert; stage 1 and worse: an alert."""
    headers = _api_headers(client, family.email, FAMILY_PASSWORD)
    alerts = {}
    for finding in (
        "no-red-areas",
        "red-fades",
        "red-does-not-fade",
        "broken-skin-or-blister",
        "deep-wound",
        "dark-purple-or-maroon",
    ):
        response = client.post(
            f"/api/family/children/{family.child_id}/diary",
            json={"kind": "skin", "skin_finding": finding, "skin_where": "left hip"},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        alerts[finding] = response.json()["alert_id"] is not None
    assert alerts == {
        "no-red-areas": False,
        "red-fades": False,
        "red-does-not-fade": True,
        "broken-skin-or-blister": True,
        "deep-wound": True,
        "dark-purple-or-maroon": True,
    }


def test_unwell_before_surgery_raises_an_alert(client: TestClient, family: Family) -> None:
    headers = _api_headers(client, family.email, FAMILY_PASSWORD)
    response = client.post(
        f"/api/family/children/{family.child_id}/diary",
        json={"kind": "unwell", "description": "fever and cough since last night"},
        headers=headers,
        params={"lang": "en"},
    )
    assert response.status_code == 201
    assert response.json()["alert_id"] is not None
    # Issue 14 item 7: before the operation the advice is that the date may move (after it,
    # the red flags: tests/integration/web/test_family_invitations_and_calendar.py).
    assert "date of the operation may need to move" in " ".join(response.json()["advice"])


def test_pain_medicine_and_mistakes_are_named_by_field(client: TestClient, family: Family) -> None:
    headers = _api_headers(client, family.email, FAMILY_PASSWORD)
    given = client.post(
        f"/api/family/children/{family.child_id}/diary",
        json={"kind": "medicine", "medicine": "paracetamol", "given_at": "2026-03-02T08:00+00:00"},
        headers=headers,
    )
    assert given.status_code == 201, given.text
    assert given.json()["urgency"] == "none"
    for body, field in [
        ({"kind": "pain-numeric", "pain_score": 11}, "pain_score"),
        (
            {
                "kind": "pain-r-flacc",
                "face": 3,
                "legs": 0,
                "activity": 0,
                "cry": 0,
                "consolability": 0,
            },
            "r_flacc.face",
        ),
        ({"kind": "skin", "skin_finding": "green"}, "skin_finding"),
        ({"kind": "medicine", "medicine": ""}, "medicine"),
        ({"kind": "dance"}, "kind"),
    ]:
        refused = client.post(
            f"/api/family/children/{family.child_id}/diary", json=body, headers=headers
        )
        assert refused.status_code == 422, body
        assert refused.json()["field"] == field


def test_a_skin_photo_is_checked_and_shown_only_to_the_family_and_the_care_team(
    client: TestClient, family: Family
) -> None:
    token = _family_sign_in(client, family.email)
    url = f"/family/children/{family.child_id}/diary"
    fake = client.post(
        url,
        data={"csrf_token": token, "kind": "skin", "skin_finding": "red-fades"},
        files={"photo": ("skin.png", b"GIF89a not a png", "image/png")},
    )
    assert fake.status_code == 422
    gif = client.post(
        url,
        data={"csrf_token": token, "kind": "skin", "skin_finding": "red-fades"},
        files={"photo": ("skin.gif", b"GIF89a....", "image/gif")},
    )
    assert gif.status_code == 422
    big = client.post(
        url,
        data={"csrf_token": token, "kind": "skin", "skin_finding": "red-fades"},
        files={"photo": ("skin.png", PNG + b"\x00" * (5 * 1024 * 1024), "image/png")},
    )
    assert big.status_code == 422
    saved = client.post(
        url,
        data={"csrf_token": token, "kind": "skin", "skin_finding": "red-fades"},
        files={"photo": ("skin.png", PNG, "image/png")},
    )
    assert saved.status_code == 200, saved.text
    photo_path = re.search(rf'href="({url}/\d+/photo)"', saved.text)
    assert photo_path
    mine = client.get(photo_path.group(1))
    assert mine.status_code == 200
    assert mine.content == PNG
    assert mine.headers["content-type"] == "image/png"
    client.cookies.clear()
    sign_in(client, "nurse")
    assert client.get(photo_path.group(1)).status_code == 200
    client.cookies.clear()
    sign_in(client, "physiotherapist")
    assert client.get(photo_path.group(1)).status_code == 403


def test_the_parents_own_pain_words_are_kept_and_shown_with_the_scale(
    client: TestClient, family: Family
) -> None:
    token = _family_sign_in(client, family.email)
    saved = client.post(
        f"/family/children/{family.child_id}/pain-words",
        data={"csrf_token": token, "face": "pulls her lips in", "cry": "hums loudly"},
    )
    assert saved.status_code == 303
    page = client.get(f"/family/children/{family.child_id}/diary")
    assert "pulls her lips in" in page.text
    assert "hums loudly" in page.text


# --- calendar ----------------------------------------------------------------------------------


def test_the_calendar_feed_works_until_revoked_and_a_new_link_replaces_the_old(
    client: TestClient, family: Family, uow: SqlAlchemyUnitOfWork
) -> None:
    token = _family_sign_in(client, family.email)
    made = client.post(
        f"/family/children/{family.child_id}/calendar-link", data={"csrf_token": token}
    )
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    link = re.search(
        r'id="calendar-url" type="text" readonly value="http://testserver([^"]+)"', page.text
    )
    assert link, page.text
    client.cookies.clear()
    feed = client.get(link.group(1))
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert feed.text.startswith("BEGIN:VCALENDAR")
    assert feed.text.count("BEGIN:VEVENT") > 10
    assert AuditAction.CALENDAR_READ in _audit_actions(uow, family.child_id)
    token = _family_sign_in(client, family.email)
    again = client.post(
        f"/family/children/{family.child_id}/calendar-link", data={"csrf_token": token}
    )
    new_link = re.search(
        r'value="http://testserver(/calendar/[^"]+)"', client.get(again.headers["location"]).text
    )
    assert new_link
    assert new_link.group(1) != link.group(1)
    assert client.get(link.group(1)).status_code == 404, "the old link stopped"
    assert client.get(new_link.group(1)).status_code == 200
    revoked = client.post(
        f"/family/children/{family.child_id}/calendar-link/revoke", data={"csrf_token": token}
    )
    assert revoked.status_code == 303
    assert client.get(new_link.group(1)).status_code == 404
    assert client.get("/calendar/made-up-token.ics").status_code == 404


# --- authorisation matrix ----------------------------------------------------------------------

_FAMILY_PREFIXES = ("/family", "/api/family", "/invite", "/calendar")


def _all_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    """Every (method, path) the app serves, walking into included routers."""
    found = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI keeps an include_router() as one lazy entry
            found += _all_routes(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute | Route):
            found += [(method, prefix + route.path) for method in sorted(route.methods or ())]
    return found


def _family_routes(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (method, path)
        for method, path in _all_routes(app.routes)
        if method != "HEAD"
        and (path.startswith(_FAMILY_PREFIXES) or path == "/children/{child_id}/invite-family")
    ]


@dataclass(frozen=True)
class Target:
    child_id: int
    item_id: str
    entry_id: int
    invite_token: str
    calendar_token: str


def _url(path: str, target: Target) -> str:
    return (
        path.replace("{child_id}", str(target.child_id))
        .replace("{item_id}", target.item_id)
        .replace("{entry_id}", str(target.entry_id))
        .replace("{token}.ics", f"{target.calendar_token}.ics")
        .replace("{token}", target.invite_token)
    )


# Routes whose key is the link's token, not the session: anyone holding the token gets in
# (that is the point of the link), nobody else does.
_TOKEN_ROUTES = {"/invite/{token}", "/calendar/{token}.ics"}
_OPEN_ROUTES = {
    "/family/language",  # only sets the language cookie (and a signed-in carer's own)
    "/family/sw.js",  # the family app's service worker script, the same for everyone
    "/family/offline",  # the app's "No signal" page: no user, no record, in a language
}


def test_every_family_route_admits_the_right_family_only(
    client: TestClient,
    app: FastAPI,
    lee: int,
    uow: SqlAlchemyUnitOfWork,
    family_hash: str,
) -> None:
    """Every family route and API call, enumerated from the app's router, tried as the right
    family, another family, a clinician of another site and nobody."""
    ours = _child_with_plan(client, lee)
    theirs = _child_with_plan(client, lee, given_name="Other")
    _linked_family(app, "ours@example.org", "Our Parent", ours, family_hash)
    _linked_family(app, "theirs@example.org", "Their Parent", theirs, family_hash)
    headers = _api_headers(client, "ours@example.org", FAMILY_PASSWORD)
    today = client.get(f"/api/family/children/{ours}/today", headers=headers).json()
    item_id = next(item["id"] for item in today["coming_next"] if item["tickable"])
    token = _family_sign_in(client, "ours@example.org")
    saved = client.post(
        f"/family/children/{ours}/diary",
        data={"csrf_token": token, "kind": "skin", "skin_finding": "red-fades"},
        files={"photo": ("skin.png", PNG, "image/png")},
    )
    entry_id = int(re.search(r"/diary/(\d+)/photo", saved.text).group(1))  # type: ignore[union-attr]  # asserted by the status below
    made = client.post(f"/family/children/{ours}/calendar-link", data={"csrf_token": token})
    calendar = re.search(r"/calendar/([^.]+)\.ics", client.get(made.headers["location"]).text)
    assert calendar
    fresh_invite = _invite(client, ours, "spare@example.org").rsplit("/", 1)[1]
    target = Target(ours, item_id, entry_id, fresh_invite, calendar.group(1))

    routes = _family_routes(app)
    assert ("GET", "/family/children/{child_id}") in routes
    assert ("POST", "/api/family/children/{child_id}/diary") in routes
    assert len(routes) >= 18

    def attempt(who: str | None, method: str, path: str) -> int:
        client.cookies.clear()
        csrf: dict[str, str] = {}
        if who in ("ours@example.org", "theirs@example.org"):
            if path.startswith("/api/"):
                csrf = _api_headers(client, who, FAMILY_PASSWORD)
            else:
                csrf = {"csrf_token": _family_sign_in(client, who)}
        elif who == "nurse":
            csrf = {"csrf_token": sign_in(client, "nurse")}
        elif who == "physio":
            if path.startswith("/api/"):
                csrf = _api_headers(client, "physio@example.org")
            else:
                csrf = {"csrf_token": sign_in(client, "physiotherapist")}
        url = _url(path, target)
        if method == "GET":
            return client.get(url).status_code
        if path.startswith("/api/"):
            body: dict[str, Any] = {"kind": "pain-numeric", "pain_score": 1, "body": "hello"}
            return client.post(url, json=body, headers=csrf).status_code
        data = {**({"csrf_token": csrf["csrf_token"]} if "csrf_token" in csrf else {})}
        data.update({"kind": "pain-numeric", "pain_score": "1", "email": "new@example.org"})
        data["body"] = "hello"  # a message to the team
        return client.post(url, data=data).status_code

    for method, path in routes:
        if path in _OPEN_ROUTES:
            continue
        if path in _TOKEN_ROUTES:
            continue  # covered by the invitation and calendar tests above
        if path == "/children/{child_id}/invite-family":
            # The one clinician route: the child's site's clinician, never a family.
            assert attempt("nurse", method, path) == 200
            assert attempt("ours@example.org", method, path) == 403
        else:
            right = attempt("ours@example.org", method, path)
            assert right in (200, 201, 303), (method, path, right)
        other = attempt("theirs@example.org", method, path)
        clinician = attempt("physio", method, path)
        nobody = attempt(None, method, path)
        if path in ("/family", "/api/family/children"):
            # Lists of one's own children: everyone signed in gets their own (empty) list.
            assert other in (200, 303)
            assert clinician in (200, 303)
        else:
            assert other == 403, (method, path, other)
            assert clinician == 403, (method, path, clinician)
        assert nobody in (401, 303), (method, path, nobody)
        if nobody == 303:
            client.cookies.clear()
    # The lists show nothing of the other family.
    headers = _api_headers(client, "theirs@example.org", FAMILY_PASSWORD)
    listed = client.get("/api/family/children", headers=headers).json()
    assert [child["id"] for child in listed] == [theirs]
    headers = _api_headers(client, "physio@example.org")
    assert client.get("/api/family/children", headers=headers).json() == []
    # Refusals are audited against our child.
    assert AuditAction.ACCESS_DENIED in _audit_actions(uow, ours)


def test_the_route_list_covers_the_family_and_clinician_invite_routes(app: FastAPI) -> None:
    """A new family route is picked up by the matrix (it enumerates the router)."""
    paths = {path for _, path in _family_routes(app)}
    assert {
        "/family/children/{child_id}/diary",
        "/family/children/{child_id}/diary/{entry_id}/photo",
        "/calendar/{token}.ics",
        "/invite/{token}",
    } <= paths
    assert NORTHERN  # the other site's clinician is the physiotherapist (Northern only)


# --- the today page behind the page cache (ADR 10) ------------------------------------------------


@pytest.fixture
def uncached(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """A second app on the same database and clock with ``HIPCARE_PAGE_CACHE=0``: every view
    renders afresh, so it shows what the cached app must serve."""
    application = create_app(dataclasses.replace(settings, page_cache_entries=0), clock=clock)
    with TestClient(application, follow_redirects=False) as test_client:
        yield test_client
    application.state.hipcare.engine.dispose()


def _today_both(client: TestClient, uncached: TestClient, child_id: int) -> str:
    """The today page from the cached app, checked equal to a fresh render of the same
    session's page by the uncached app; returns it."""
    session = client.cookies.get("hipcare_session")
    language = client.cookies.get("hipcare_lang")
    cookie = f"hipcare_session={session}" + (f"; hipcare_lang={language}" if language else "")
    cached = client.get(f"/family/children/{child_id}")
    fresh = uncached.get(f"/family/children/{child_id}", headers={"cookie": cookie})
    assert cached.status_code == fresh.status_code == 200
    assert cached.text == fresh.text
    return cached.text


def _count(uow: SqlAlchemyUnitOfWork, child_id: int, action: AuditAction) -> int:
    return _audit_actions(uow, child_id).count(action)


def test_the_cached_today_page_is_the_page_rendered_afresh_with_the_sessions_token(
    client: TestClient, app: FastAPI, uncached: TestClient, family: Family
) -> None:
    cache = app.state.hipcare.page_cache
    assert cache.enabled
    token = _family_sign_in(client, family.email)  # lands on the today page: rendered, kept
    hits = cache.hits
    first = _today_both(client, uncached, family.child_id)
    second = _today_both(client, uncached, family.child_id)
    assert cache.hits == hits + 2, "both views are served from the cache"
    assert first == second
    assert form_token(second) == token
    assert "csrf-placeholder" not in second
    # Another session of the same member gets the same page with its own token.
    other_token = _family_sign_in(client, family.email)
    assert other_token != token
    third = _today_both(client, uncached, family.child_id)
    assert cache.hits == hits + 4  # the sign-in's landing on the page, then this view
    assert third == second.replace(token, other_token)


def test_a_tick_a_diary_entry_a_postponement_and_a_language_switch_show_at_once(
    client: TestClient,
    app: FastAPI,
    uncached: TestClient,
    family: Family,
    uow: SqlAlchemyUnitOfWork,
) -> None:
    """Each change moves the child's record version (or the language): the next view is a
    fresh page, equal to what the uncached app renders."""
    cache = app.state.hipcare.page_cache
    token = _family_sign_in(client, family.email)
    page = _today_both(client, uncached, family.child_id)
    assert 'lang="vi"' in page, "the child's preferred language first"
    client.get(f"/family/language?lang=en&next=/family/children/{family.child_id}")
    page = _today_both(client, uncached, family.child_id)
    assert "0 of " in page
    # A tick (through the API, as the phone app would).
    headers = {"X-CSRF-Token": token}
    today = client.get(f"/api/family/children/{family.child_id}/today").json()
    item = next(item for item in today["coming_next"] if item["tickable"])
    ticked = client.post(
        f"/api/family/children/{family.child_id}/items/{item['id']}/tick", headers=headers
    )
    assert ticked.status_code == 200
    page = _today_both(client, uncached, family.child_id)
    assert "1 of " in page
    assert f'id="item-{item["id"]}"' not in page, "a done step leaves 'coming next'"
    # A diary entry: not shown on this page, but part of the record, so rendered afresh.
    misses = cache.misses
    entry = client.post(
        f"/api/family/children/{family.child_id}/diary",
        json={"kind": "pain-numeric", "pain_score": 2},
        headers=headers,
    )
    assert entry.status_code == 201
    _today_both(client, uncached, family.child_id)
    assert cache.misses == misses + 1
    # The care team postpones the surgery: every step not done moves.
    with uow:
        operation = uow.operation_plans.for_child(family.child_id)[0]
    before = page
    nurse = TestClient(app, follow_redirects=False)
    postponed = nurse.post(
        f"/api/children/{family.child_id}/operations/{operation.id}/postpone",
        json={"surgery_date": "2026-05-18"},
        headers=_api_headers(nurse, "nurse@example.org"),
    )
    assert postponed.status_code == 200, postponed.text
    page = _today_both(client, uncached, family.child_id)
    assert page != before
    assert "May 2026" in page
    # The family switches the page to Arabic, and back.
    switched = client.get(f"/family/language?lang=ar&next=/family/children/{family.child_id}")
    assert switched.status_code == 303
    page = _today_both(client, uncached, family.child_id)
    assert 'lang="ar" dir="rtl"' in page
    client.get(f"/family/children/{family.child_id}?lang=en")
    assert 'lang="en" dir="ltr"' in _today_both(client, uncached, family.child_id)


def test_the_cached_today_page_refuses_everyone_else_and_audits_every_view(
    client: TestClient,
    app: FastAPI,
    lee: int,
    family: Family,
    family_hash: str,
    uow: SqlAlchemyUnitOfWork,
) -> None:
    """A kept copy is looked at only after the session and the family link are checked:
    another family, a clinician of another site and nobody are refused on a cache hit too,
    each refusal audited; each view writes exactly one care_plan.read row."""
    other_child = _child_with_plan(client, lee, given_name="Other")
    _linked_family(app, "other@example.org", "Other Parent", other_child, family_hash)
    cache = app.state.hipcare.page_cache
    url = f"/family/children/{family.child_id}"
    _family_sign_in(client, family.email)
    reads = _count(uow, family.child_id, AuditAction.CARE_PLAN_READ)
    for _ in range(3):
        assert client.get(url).status_code == 200
    assert _count(uow, family.child_id, AuditAction.CARE_PLAN_READ) == reads + 3
    hits = cache.hits
    denied = _count(uow, family.child_id, AuditAction.ACCESS_DENIED)
    _family_sign_in(client, "other@example.org")
    refused = client.get(url)
    assert refused.status_code == 403
    assert "Lan" not in refused.text
    assert "csrf-placeholder" not in refused.text
    client.cookies.clear()
    sign_in(client, "physiotherapist")
    assert client.get(url).status_code == 403
    client.cookies.clear()
    nobody = client.get(url)
    assert nobody.status_code == 303
    assert nobody.headers["location"].startswith("/sign-in")
    assert cache.hits == hits, "no refused request reached the cache"
    assert _count(uow, family.child_id, AuditAction.ACCESS_DENIED) == denied + 2
    assert _count(uow, family.child_id, AuditAction.CARE_PLAN_READ) == reads + 3


def test_the_cached_today_page_keeps_the_session_rules_and_audits_a_touched_view(
    client: TestClient,
    family: Family,
    clock: Clock,
    uow: SqlAlchemyUnitOfWork,
) -> None:
    """The per-view transaction on one connection: a view that also writes the session's last
    use (its own commit) still writes its audit row; an idle session is ended and deleted."""
    url = f"/family/children/{family.child_id}"
    _family_sign_in(client, family.email)
    reads = _count(uow, family.child_id, AuditAction.CARE_PLAN_READ)
    assert client.get(url).status_code == 200
    clock.advance(minutes=29)
    assert client.get(url).status_code == 200  # used: idle time restarts
    clock.advance(minutes=29)
    assert client.get(url).status_code == 200
    assert _count(uow, family.child_id, AuditAction.CARE_PLAN_READ) == reads + 3
    clock.advance(minutes=31)
    expired = client.get(url)
    assert expired.status_code == 303
    assert expired.headers["location"].startswith("/sign-in")
    home = client.get("/family")
    assert home.headers["location"].startswith("/sign-in"), "the expired session was deleted"
    assert _count(uow, family.child_id, AuditAction.CARE_PLAN_READ) == reads + 3


def test_the_familys_list_of_children_is_audited(
    client: TestClient, family: Family, uow: SqlAlchemyUnitOfWork
) -> None:
    """The list shows the children's names, so each listing leaves a ``child.listed`` row."""
    headers = _api_headers(client, family.email, FAMILY_PASSWORD)
    listed = client.get("/api/family/children", headers=headers)
    assert [child["id"] for child in listed.json()] == [family.child_id]
    assert _count(uow, family.child_id, AuditAction.CHILD_LISTED) == 1
