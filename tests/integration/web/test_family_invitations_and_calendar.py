"""Invitations that arrive and a calendar that reminds (issue 17), on SQLite and PostgreSQL:
the invitations API emails the link to a local SMTP server (aiosmtpd in a thread), the
invitation page is in the family's language and names the child and the hospital, a used or
expired link says so; the calendar feed is in the member's chosen language and every event
carries a VALARM (read back with vobject, a second parser)."""

from __future__ import annotations

import dataclasses
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import vobject
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import CHILD_FORM, HARBOUR, PASSWORD, Clock, Staff, form_token, sign_in

from hipcare.domain.records import Profession, Role, User
from hipcare.services.family.reminders import SmtpSettings
from hipcare.settings import Settings
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web import create_app

FAMILY_PASSWORD = "our family password"  # noqa: S105 -- synthetic
HOSPITAL = "Harbour Children's Hospital"


class _Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's hook name
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:  # aiosmtpd cannot be given port 0
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def inbox() -> Iterator[tuple[_Inbox, int]]:
    handler = _Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _smtp(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, sender="care@example.org", public_url="")


@pytest.fixture
def mailing_client(
    settings: Settings, clock: Clock, staff: Staff, inbox: tuple[_Inbox, int]
) -> Iterator[TestClient]:
    """The app with invitation emails going to the local SMTP server."""
    application = create_app(settings, clock=clock, smtp=_smtp(inbox[1]))
    with TestClient(application, follow_redirects=False) as test_client:
        yield test_client
    application.state.hipcare.engine.dispose()


@pytest.fixture
def lee(uow: SqlAlchemyUnitOfWork, password_hash: str, staff: Staff) -> int:
    with uow:
        user = uow.users.add(
            User(
                "lee.surgeon@example.org",
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


def _child_with_plan(client: TestClient, surgeon: int) -> int:
    """A Harbour child (Vietnamese-speaking family) whose pathway the nurse has started."""
    client.cookies.clear()
    token = sign_in(client, "nurse")
    response = client.post("/children", data={**CHILD_FORM, "csrf_token": token})
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


def _path(link: str) -> str:
    return link.removeprefix("http://testserver")


# --- invitations ---------------------------------------------------------------------------------


def test_the_invitations_api_emails_the_link_to_the_smtp_server(
    mailing_client: TestClient, lee: int, inbox: tuple[_Inbox, int]
) -> None:
    """201 with the link; one email to the invitee in the chosen language, naming the
    hospital, holding the link and nothing of the child's record."""
    child_id = _child_with_plan(mailing_client, lee)
    headers = _api_headers(mailing_client, "nurse@example.org")
    response = mailing_client.post(
        f"/api/children/{child_id}/invitations",
        json={"email": "Mai@Example.org", "language": "en"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["emailed"] is True
    assert body["email"] == "mai@example.org"
    assert body["language"] == "en"
    assert re.fullmatch(r"http://testserver/invite/[\w-]{40,}", body["link"])
    [message] = inbox[0].messages
    assert message["To"] == "mai@example.org"
    assert message["From"] == "care@example.org"
    assert message["Content-Language"] == "en"
    text = message.get_content()
    assert body["link"] in text
    assert HOSPITAL in text
    assert CHILD_FORM["given_name"] not in text
    assert CHILD_FORM["family_name"] not in text
    assert CHILD_FORM["date_of_birth"] not in text


def test_the_invitations_api_names_the_field_it_refuses(
    mailing_client: TestClient, lee: int, inbox: tuple[_Inbox, int]
) -> None:
    child_id = _child_with_plan(mailing_client, lee)
    headers = _api_headers(mailing_client, "nurse@example.org")
    url = f"/api/children/{child_id}/invitations"
    for sent, field in (
        ({"email": "not an address"}, "email"),
        ({"language": "en"}, "email"),
        ({"email": "mai@example.org", "language": "xx"}, "language"),
        ({"email": 5}, "email"),
    ):
        refused = mailing_client.post(url, json=sent, headers=headers)
        assert refused.status_code == 422, (sent, refused.text)
        assert refused.json()["field"] == field, sent
    physio = _api_headers(mailing_client, "physio@example.org")
    other_site = mailing_client.post(url, json={"email": "mai@example.org"}, headers=physio)
    assert other_site.status_code == 403
    assert inbox[0].messages == []


def test_without_smtp_the_invitation_is_made_and_not_emailed(client: TestClient, lee: int) -> None:
    child_id = _child_with_plan(client, lee)
    headers = _api_headers(client, "nurse@example.org")
    response = client.post(
        f"/api/children/{child_id}/invitations", json={"email": "mai@example.org"}, headers=headers
    )
    assert response.status_code == 201
    assert response.json()["emailed"] is False
    assert response.json()["language"] == "vi", "the child's language by default"


def test_an_smtp_server_that_is_down_leaves_the_link_to_copy(
    settings: Settings, clock: Clock, staff: Staff, lee: int
) -> None:
    application = create_app(settings, clock=clock, smtp=_smtp(_free_port()))
    with TestClient(application, follow_redirects=False) as client:
        child_id = _child_with_plan(client, lee)
        client.cookies.clear()
        token = sign_in(client, "nurse")
        page = client.post(
            f"/children/{child_id}/invite-family",
            data={"csrf_token": token, "email": "mai@example.org", "language": "vi"},
        )
    application.state.hipcare.engine.dispose()
    assert page.status_code == 200
    assert "could not be sent" in page.text
    assert 'id="invite-link"' in page.text


def test_the_child_page_invitation_emails_and_shows_the_link_with_a_copy_button(
    mailing_client: TestClient, lee: int, inbox: tuple[_Inbox, int]
) -> None:
    child_id = _child_with_plan(mailing_client, lee)
    mailing_client.cookies.clear()
    token = sign_in(mailing_client, "nurse")
    child_page = mailing_client.get(f"/children/{child_id}")
    assert 'name="language"' in child_page.text
    page = mailing_client.post(
        f"/children/{child_id}/invite-family",
        data={"csrf_token": token, "email": "mai@example.org", "language": "vi"},
    )
    assert page.status_code == 200
    assert "We emailed the invitation to mai@example.org" in page.text
    assert 'data-copy="invite-link"' in page.text
    assert '<script src="/static/copy.js"' in page.text
    link = re.search(r'id="invite-link" type="text" readonly value="([^"]+)"', page.text)
    assert link
    [message] = inbox[0].messages
    assert message["Content-Language"] == "vi"
    assert link.group(1) in message.get_content()


def test_the_invitation_page_is_in_the_familys_language_and_names_child_and_hospital(
    client: TestClient, lee: int
) -> None:
    child_id = _child_with_plan(client, lee)
    headers = _api_headers(client, "nurse@example.org")
    link = client.post(
        f"/api/children/{child_id}/invitations", json={"email": "mai@example.org"}, headers=headers
    ).json()["link"]
    client.cookies.clear()
    page = client.get(_path(link))
    assert page.status_code == 200
    assert '<html lang="vi"' in page.text
    assert CHILD_FORM["given_name"] in page.text
    assert CHILD_FORM["family_name"] not in page.text
    assert "Bệnh viện" in page.text  # "Hospital" in Vietnamese, with the hospital's name
    english = client.get(_path(link) + "?lang=en")
    assert "Hospital" in english.text
    assert HOSPITAL.replace("'", "&#39;") in english.text


def test_a_used_link_says_so_and_offers_sign_in(client: TestClient, lee: int) -> None:
    child_id = _child_with_plan(client, lee)
    headers = _api_headers(client, "nurse@example.org")
    link = client.post(
        f"/api/children/{child_id}/invitations",
        json={"email": "mai@example.org", "language": "en"},
        headers=headers,
    ).json()["link"]
    client.cookies.clear()
    accepted = client.post(
        _path(link), data={"display_name": "Mai Tran", "password": FAMILY_PASSWORD}
    )
    assert accepted.status_code == 303
    assert accepted.cookies.get("hipcare_lang") == "en", (
        "the family keeps the invitation's language"
    )
    client.cookies.clear()
    again = client.get(_path(link))
    assert again.status_code == 404
    assert "it was used already" in again.text
    assert 'href="/sign-in?next=/family"' in again.text


def test_an_expired_link_says_so_in_the_invitations_language(
    client: TestClient, lee: int, clock: Clock
) -> None:
    child_id = _child_with_plan(client, lee)
    headers = _api_headers(client, "nurse@example.org")
    link = client.post(
        f"/api/children/{child_id}/invitations", json={"email": "mai@example.org"}, headers=headers
    ).json()["link"]
    clock.advance(days=7, seconds=1)
    client.cookies.clear()
    late = client.get(_path(link))
    assert late.status_code == 404
    assert '<html lang="vi"' in late.text
    assert "quá 7 ngày" in late.text  # "more than 7 days old" in Vietnamese
    assert 'href="/sign-in?next=/family"' in late.text
    english = client.get(_path(link) + "?lang=en")
    assert "it is more than 7 days old" in english.text


# --- calendar ------------------------------------------------------------------------------------


def _linked_family(app: FastAPI, email: str, child_id: int) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(FAMILY_PASSWORD)
    uow = SqlAlchemyUnitOfWork(app.state.hipcare.session_factory)
    with uow:
        user = uow.users.add(User(email, "Tom Nguyen", Role.FAMILY, None, password_hash=cheap))
        assert user.id is not None
        uow.family.link(user.id, child_id, datetime(2026, 3, 1, tzinfo=UTC))
        uow.commit()


def _family_sign_in(client: TestClient, email: str) -> None:
    client.cookies.clear()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": email, "password": FAMILY_PASSWORD, "csrf_token": form_token(page.text)},
    )
    assert response.status_code == 303, response.text


def _make_link(client: TestClient, child_id: int, language: str) -> tuple[str, str]:
    """Choose ``language`` on the family pages, make a calendar link: (https path, webcal)."""
    client.get(f"/family/language?lang={language}&next=/family/children/{child_id}")
    page = client.get(f"/family/children/{child_id}/calendar")
    made = client.post(
        f"/family/children/{child_id}/calendar-link", data={"csrf_token": form_token(page.text)}
    )
    assert made.status_code == 303
    assert "calendar" not in made.headers["location"].split("/calendar")[-1], "no link in the URL"
    shown = client.get(made.headers["location"]).text
    https = re.search(r'id="calendar-url" type="text" readonly value="([^"]+)"', shown)
    webcal = re.search(r'href="(webcal://[^"]+)"', shown)
    assert https, shown
    assert webcal, shown
    return _path(https.group(1)), webcal.group(1)


def test_the_calendar_of_a_member_who_chose_english_is_in_english_with_an_alarm_per_event(
    client: TestClient, app: FastAPI, lee: int
) -> None:
    """The child's language is Vietnamese; the parent chose English: the feed is English
    (the calendar app sends no cookie), and every event reminds the evening before."""
    child_id = _child_with_plan(client, lee)
    _linked_family(app, "tom@example.org", child_id)
    _family_sign_in(client, "tom@example.org")
    path, webcal = _make_link(client, child_id, "en")
    assert webcal == "webcal://testserver" + path
    client.cookies.clear()
    feed = client.get(path)
    assert feed.status_code == 200
    calendar = vobject.readOne(feed.text)
    assert calendar.contents["x-wr-calname"][0].value.isascii()
    events = calendar.contents["vevent"]
    assert len(events) > 10
    for event in events:
        assert event.summary.params.get("LANGUAGE", ["en"])[0] == "en"
        [alarm] = event.contents["valarm"]
        assert alarm.action.value == "DISPLAY"
        if isinstance(event.dtstart.value, datetime):  # the day of surgery's timed steps
            assert alarm.trigger.value == -timedelta(minutes=30), "30 minutes before"
        else:
            assert alarm.trigger.value == -timedelta(hours=6), "18:00 the evening before"
        assert alarm.description.value == event.summary.value


def test_a_member_who_chose_vietnamese_gets_a_vietnamese_calendar(
    client: TestClient, app: FastAPI, lee: int
) -> None:
    child_id = _child_with_plan(client, lee)
    _linked_family(app, "tom@example.org", child_id)
    _family_sign_in(client, "tom@example.org")
    english_path, _ = _make_link(client, child_id, "en")
    english = client.get(english_path).text
    path, _ = _make_link(client, child_id, "vi")
    client.cookies.clear()
    vietnamese = vobject.readOne(client.get(path).text)
    assert any(
        event.summary.params.get("LANGUAGE") == ["vi"] for event in vietnamese.contents["vevent"]
    )
    assert client.get(english_path).status_code == 404, "the new link replaced the old one"
    assert english != client.get(path).text


def test_the_link_stays_on_the_calendar_page_and_a_new_link_is_secondary_and_asks_first(
    client: TestClient, app: FastAPI, lee: int
) -> None:
    child_id = _child_with_plan(client, lee)
    _linked_family(app, "tom@example.org", child_id)
    _family_sign_in(client, "tom@example.org")
    today = client.get(f"/family/children/{child_id}").text
    assert f'href="/family/children/{child_id}/calendar"' in today
    path, _ = _make_link(client, child_id, "en")
    again = client.get(f"/family/children/{child_id}/calendar").text
    assert path in again, "shown on every visit, not only once"
    remake = re.search(
        r'<form method="post" action="/family/children/\d+/calendar-link" class="inline" '
        r'data-confirm="([^"]+)">\s*<input[^>]+>\s*<input[^>]+>\s*<button type="submit" '
        r'class="secondary">',
        again,
    )
    assert remake, again
    assert "stop working" in remake.group(1)


# --- the booklet as a web page -------------------------------------------------------------------


def test_the_web_booklet_links_its_stylesheet_from_this_site_and_has_a_way_back(
    client: TestClient, app: FastAPI, lee: int
) -> None:
    """No inline style (the CSP, style-src 'self', would block it): a stylesheet of this site."""
    child_id = _child_with_plan(client, lee)
    _linked_family(app, "tom@example.org", child_id)
    _family_sign_in(client, "tom@example.org")
    booklet = client.get(f"/family/children/{child_id}/booklet?lang=en")
    assert booklet.status_code == 200
    assert "<style" not in booklet.text
    assert " style=" not in booklet.text
    assert "style-src 'self'" in booklet.headers["content-security-policy"]
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)">', booklet.text)
    assert stylesheet
    assert stylesheet.group(1).startswith("/booklet.css?")
    assert f'<a href="/family/children/{child_id}">Back to today</a>' in booklet.text
    css = client.get(stylesheet.group(1).replace("&amp;", "&"))
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "--accent: #" in css.text
    assert "@media screen and (max-width: 40rem)" in css.text
    refused = client.get("/booklet.css", params={"accent": "red;}body{display:none"})
    assert refused.status_code == 422


def test_the_family_diary_shows_times_in_the_clinics_time_zone(
    settings: Settings, clock: Clock, staff: Staff, lee: int
) -> None:
    """09:30 UTC on 2 March 2026 is 20:30 in Sydney (daylight saving time)."""
    application = create_app(
        dataclasses.replace(settings, timezone="Australia/Sydney"), clock=clock
    )
    with TestClient(application, follow_redirects=False) as client:
        child_id = _child_with_plan(client, lee)
        _linked_family(application, "tom@example.org", child_id)
        _family_sign_in(client, "tom@example.org")
        page = client.get(f"/family/children/{child_id}/diary?lang=en")
        saved = client.post(
            f"/family/children/{child_id}/diary",
            data={"csrf_token": form_token(page.text), "kind": "pain-numeric", "pain_score": "2"},
        )
        assert saved.status_code == 200, saved.text
        diary = client.get(f"/family/children/{child_id}/diary").text
    application.state.hipcare.engine.dispose()
    meta = re.search(r'<p class="meta"><time datetime="[^"]+">([^<]+)</time>', diary)
    assert meta, diary
    assert meta.group(1).endswith("20:30")
    assert "UTC" not in meta.group(1)


# --- undoing a tick ------------------------------------------------------------------------------


def test_a_family_can_undo_its_own_tick_and_the_undo_is_audited(
    client: TestClient, app: FastAPI, lee: int, uow: SqlAlchemyUnitOfWork
) -> None:
    from hipcare.domain.records import AuditAction, EntityType

    child_id = _child_with_plan(client, lee)
    _linked_family(app, "tom@example.org", child_id)
    headers = _api_headers(client, "tom@example.org", FAMILY_PASSWORD)
    today = client.get(f"/api/family/children/{child_id}/today", headers=headers).json()
    item_id = next(item["id"] for item in today["coming_next"] if item["tickable"])
    _family_sign_in(client, "tom@example.org")
    plan = client.get(f"/family/children/{child_id}/plan?lang=en")
    token = form_token(plan.text)
    ticked = client.post(
        f"/family/children/{child_id}/items/{item_id}/tick", data={"csrf_token": token}
    )
    assert ticked.status_code == 303
    page = client.get(f"/family/children/{child_id}/plan").text
    assert f'action="/family/children/{child_id}/items/{item_id}/untick"' in page
    assert "Not done yet" in page
    undone = client.post(
        f"/family/children/{child_id}/items/{item_id}/untick",
        data={"csrf_token": token, "back": f"/family/children/{child_id}/plan"},
    )
    assert undone.status_code == 303
    assert undone.headers["location"] == f"/family/children/{child_id}/plan#item-{item_id}"
    after = client.get(f"/api/family/children/{child_id}/today", headers=headers).json()
    items = [*after["today_items"], *after["still_to_do"], *after["coming_next"]]
    assert next(item for item in items if item["id"] == item_id)["done"] is False
    with uow:
        actions = [e.action for e in uow.audit.for_entity(EntityType.CHILD, str(child_id))]
    assert AuditAction.CARE_ITEM_UNTICKED in actions


def test_a_family_cannot_undo_the_care_teams_tick(
    client: TestClient, app: FastAPI, lee: int, uow: SqlAlchemyUnitOfWork
) -> None:
    child_id = _child_with_plan(client, lee)
    _linked_family(app, "tom@example.org", child_id)
    headers = _api_headers(client, "tom@example.org", FAMILY_PASSWORD)
    today = client.get(f"/api/family/children/{child_id}/today", headers=headers).json()
    item_id = next(item["id"] for item in today["coming_next"] if item["tickable"])
    nurse = _api_headers(client, "nurse@example.org")
    with uow:
        [operation] = uow.operation_plans.for_child(child_id)
    operation_id = operation.id
    done = client.post(
        f"/api/children/{child_id}/operations/{operation_id}/items/{item_id}/done", headers=nurse
    )
    assert done.status_code in (200, 201), done.text
    _family_sign_in(client, "tom@example.org")
    token = form_token(client.get(f"/family/children/{child_id}/plan").text)
    refused = client.post(
        f"/family/children/{child_id}/items/{item_id}/untick", data={"csrf_token": token}
    )
    assert refused.status_code == 422


# --- information vs tasks, no back-dating, postponement, day of surgery (issue 17, 2nd pass) --


def _operation_id(uow: SqlAlchemyUnitOfWork, child_id: int) -> int:
    with uow:
        [operation] = uow.operation_plans.for_child(child_id)
    assert operation.id is not None
    return operation.id


def test_information_is_read_not_ticked_and_the_api_refuses_a_tick_naming_it(
    client: TestClient, app: FastAPI, lee: int
) -> None:
    child_id = _child_with_plan(client, lee)
    _linked_family(app, "tom@example.org", child_id)
    headers = _api_headers(client, "tom@example.org", FAMILY_PASSWORD)
    refused = client.post(
        f"/api/family/children/{child_id}/items/report-illness-before-surgery/tick",
        headers=headers,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "item_id"
    assert "report-illness-before-surgery" in refused.json()["problem"]
    _family_sign_in(client, "tom@example.org")
    plan = client.get(f"/family/children/{child_id}/plan?lang=en").text
    card = plan.split('id="item-about-this-plan"', 1)[1].split("</li>", 1)[0]
    assert "Mark as done" not in card
    assert 'class="item-date"' not in card
    assert "clinical lead" not in card
    assert "Good to know" in card
    task = plan.split('id="item-notify-parent-work"', 1)[1].split("</li>", 1)[0]
    assert 'class="item-date"' in task
    assert "Mark as done" in task


def test_no_task_is_due_before_the_day_the_plan_started(
    client: TestClient, app: FastAPI, lee: int, uow: SqlAlchemyUnitOfWork
) -> None:
    """The plan starts on 2 March 2026; "About this plan" and the therapy waiting list would
    fall on 23 February (8 weeks before the 20 April operation)."""
    child_id = _child_with_plan(client, lee)
    operation_id = _operation_id(uow, child_id)
    with uow:
        states = uow.care_plan_items.for_operation_plan(operation_id)
        operation = uow.operation_plans.get(operation_id)
    assert operation is not None
    assert operation.pathway_started_on == date(2026, 3, 2)
    from hipcare.content.pathway import load_pathway

    information = load_pathway().information_ids
    assert "about-this-plan" in {state.item_id for state in states}
    for state in states:
        if state.item_id not in information:
            assert state.due_date >= date(2026, 3, 2), state.item_id


def test_postponing_emails_the_family_shows_a_banner_and_reopens_steps_naming_the_old_date(
    mailing_client: TestClient,
    app: FastAPI,
    lee: int,
    uow: SqlAlchemyUnitOfWork,
    inbox: tuple[_Inbox, int],
) -> None:
    from hipcare.domain.records import AuditAction, EntityType

    client = mailing_client
    child_id = _child_with_plan(client, lee)
    _linked_family(app, "tom@example.org", child_id)
    family = _api_headers(client, "tom@example.org", FAMILY_PASSWORD)
    for item_id in ("notify-parent-work", "arrange-family-help"):
        ticked = client.post(
            f"/api/family/children/{child_id}/items/{item_id}/tick", headers=family
        )
        assert ticked.status_code == 200, ticked.text
    nurse = _api_headers(client, "nurse@example.org")
    operation_id = _operation_id(uow, child_id)
    moved = client.post(
        f"/api/children/{child_id}/operations/{operation_id}/postpone",
        json={"surgery_date": "2026-05-25"},
        headers=nurse,
    )
    assert moved.status_code == 200, moved.text
    states = {item["item_id"]: item for item in moved.json()}
    assert states["notify-parent-work"]["done"] is False, "its text named the old date"
    assert states["arrange-family-help"]["done"] is True
    [message] = inbox[0].messages
    assert message["To"] == "tom@example.org"
    body = message.get_content()
    assert f"/family/children/{child_id}" in body
    assert "2026" not in body, "no date in the email"
    assert "20" not in message["Subject"]
    assert message["Content-Language"] == "vi"
    _family_sign_in(client, "tom@example.org")
    today = client.get(f"/family/children/{child_id}?lang=en").text
    assert 'class="banner"' in today
    assert "The date of the operation has changed. The new date is 25 May 2026." in today
    with uow:
        actions = [e.action for e in uow.audit.for_entity(EntityType.CHILD, str(child_id))]
    assert AuditAction.CARE_ITEM_REOPENED in actions
    assert AuditAction.POSTPONEMENT_EMAILED in actions


def test_the_day_of_surgery_shows_on_today_in_the_booklet_and_as_timed_calendar_events(
    client: TestClient, app: FastAPI, lee: int, uow: SqlAlchemyUnitOfWork
) -> None:
    child_id = _child_with_plan(client, lee)
    nurse = _api_headers(client, "nurse@example.org")
    operation_id = _operation_id(uow, child_id)
    changed = client.put(
        f"/api/children/{child_id}/operations/{operation_id}/day-of-surgery",
        json={"arrival_time": "08:00", "what_to_bring": ["Her blue blanket."]},
        headers=nurse,
    )
    assert changed.status_code == 200, changed.text
    day = changed.json()["day_of_surgery"]
    assert (day["food_stop_time"], day["clear_fluids_stop_time"]) == ("02:00", "07:00")
    assert day["to_be_confirmed"] is True
    refused = client.put(
        f"/api/children/{child_id}/operations/{operation_id}/day-of-surgery",
        json={"milk_stop_time": "25:00"},
        headers=nurse,
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "day_of_surgery.milk_stop_time"
    _linked_family(app, "tom@example.org", child_id)
    _family_sign_in(client, "tom@example.org")
    today = client.get(f"/family/children/{child_id}?lang=en").text
    section = today.split('id="day-of-surgery"', 1)[1].split("</section>", 1)[0]
    assert "No food after 02:00 on" in section
    assert "Arrive at 08:00 on" in section
    assert "Her blue blanket." in section
    assert "clinical lead still needs to confirm" in section
    booklet = client.get(f"/family/children/{child_id}/booklet?lang=en").text
    assert "No food after 02:00 on" in booklet
    path, _ = _make_link(client, child_id, "en")
    client.cookies.clear()
    calendar = vobject.readOne(client.get(path).text)
    timed = [
        event for event in calendar.contents["vevent"] if isinstance(event.dtstart.value, datetime)
    ]
    assert sorted(event.summary.value for event in timed) == [
        "Arrive at the hospital",
        "Stop clear drinks now",
        "Stop food now",
        "Stop milk now",
    ]
    for event in timed:
        [alarm] = event.contents["valarm"]
        assert alarm.trigger.value == -timedelta(minutes=30)
    arrival = next(e for e in timed if e.summary.value == "Arrive at the hospital")
    assert arrival.dtstart.value == datetime(2026, 4, 20, 8, 0, tzinfo=UTC)  # UTC test site


def test_my_child_is_unwell_is_answered_by_phase_on_today_and_in_the_diary(
    client: TestClient, app: FastAPI, lee: int, clock: Clock
) -> None:
    child_id = _child_with_plan(client, lee)
    _linked_family(app, "tom@example.org", child_id)
    _family_sign_in(client, "tom@example.org")
    before = client.get(f"/family/children/{child_id}?lang=en").text
    assert "If your child gets sick before the operation" in before
    diary = client.get(f"/family/children/{child_id}/diary?lang=en").text
    assert "The date of the operation may need to move." in diary
    saved = client.post(
        f"/family/children/{child_id}/diary?lang=en",
        data={"csrf_token": form_token(diary), "kind": "unwell", "description": "a fever"},
    )
    assert "the date of the operation may need to move" in saved.text
    clock.advance(days=50)  # the operation was on 20 April 2026
    _family_sign_in(client, "tom@example.org")
    after = client.get(f"/family/children/{child_id}?lang=en").text
    assert "Call the ward or the orthopaedic nurse now" in after
    assert "If your child gets sick before the operation" not in after
    diary = client.get(f"/family/children/{child_id}/diary?lang=en").text
    saved = client.post(
        f"/family/children/{child_id}/diary?lang=en",
        data={"csrf_token": form_token(diary), "kind": "unwell", "description": "a fever"},
    )
    assert "Call the ward now, day or night" in saved.text
    assert "may need to move" not in saved.text
