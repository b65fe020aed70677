"""Local accounts through the web app (issue 18), on SQLite and PostgreSQL: a site
administrator invites staff (the link is read from an email a real SMTP server got), sets
roles and deactivates; password change and reset by email (single use, 30 minutes on the
app's clock, the same answer for an unknown address); the TOTP second factor with pyotp
computing the codes, enrolment required for site administrators, recovery codes once."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pyotp
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import EMAILS, HARBOUR, NORTHERN, PASSWORD, Clock, Staff, form_token, sign_in

from hipcare.domain.records import Role, User
from hipcare.services.family.reminders import SmtpSettings
from hipcare.settings import Settings
from hipcare.web import create_app

NEW_PASSWORD = "a brand new passphrase"  # noqa: S105 -- synthetic
PUBLIC_URL = "http://testserver"


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

    def link(self, to: str) -> str:
        """The path of the link in the newest message to ``to``."""
        mine = [message for message in self.messages if message["To"] == to]
        assert mine, f"no email to {to}"
        body = mine[-1].get_content()
        found = re.search(rf"{re.escape(PUBLIC_URL)}(/set-password/[A-Za-z0-9_-]+)", body)
        assert found, body
        return found.group(1)


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


def _app(settings: Settings, clock: Clock, port: int, **changes: Any) -> FastAPI:
    smtp = SmtpSettings(
        host="127.0.0.1", port=port, sender="care@example.org", public_url=PUBLIC_URL
    )
    return create_app(replace(settings, **changes), clock=clock, smtp=smtp)


@pytest.fixture
def mail(inbox: tuple[_Inbox, int]) -> _Inbox:
    return inbox[0]


@pytest.fixture
def client(
    settings: Settings, clock: Clock, staff: Staff, inbox: tuple[_Inbox, int]
) -> Iterator[TestClient]:
    """The app as deployed: administrators must set up TOTP; emails go to the SMTP server."""
    application = _app(settings, clock, inbox[1], admin_second_factor_required=True)
    with TestClient(application, follow_redirects=False) as test_client:
        yield test_client
    application.state.hipcare.engine.dispose()


def _api(
    client: TestClient, who: str, password: str = PASSWORD, code: str | None = None
) -> dict[str, str]:
    client.cookies.clear()
    body = {"email": EMAILS.get(who, who), "password": password}
    if code is not None:
        body["code"] = code
    response = client.post("/api/sign-in", json=body)
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def _enrol(client: TestClient, clock: Clock) -> tuple[pyotp.TOTP, list[str]]:
    """Set up TOTP through the enrolment page of whoever is signed in."""
    page = client.get("/account/second-factor")
    assert page.status_code == 200
    started = client.post(
        "/account/second-factor/start", data={"csrf_token": form_token(page.text)}
    )
    assert started.status_code == 303
    page = client.get("/account/second-factor")
    assert "<svg" in page.text
    assert "qr-code" in page.text
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text)
    assert secret
    totp = pyotp.TOTP(secret.group(1))
    done = client.post(
        "/account/second-factor/confirm",
        data={"csrf_token": form_token(page.text), "code": totp.at(clock.now)},
    )
    assert done.status_code == 200, done.text
    codes = re.findall(r"<li><code>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</code></li>", done.text)
    assert len(codes) == 10
    return totp, codes


def _sign_in_with_code(client: TestClient, who: str, code: str) -> Any:
    client.cookies.clear()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": EMAILS[who], "password": PASSWORD, "csrf_token": form_token(page.text)},
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in/second-factor")
    step = client.get(response.headers["location"])
    return client.post(
        "/sign-in/second-factor",
        data={"code": code, "next": "/", "csrf_token": form_token(step.text)},
    )


# --- site administrators must set up TOTP ------------------------------------------------------


def test_a_site_administrator_without_totp_is_sent_to_enrolment_and_then_needs_a_code(
    client: TestClient, clock: Clock
) -> None:
    sign_in_page = client.get("/sign-in")
    client.post(
        "/sign-in",
        data={
            "email": EMAILS["administrator"],
            "password": PASSWORD,
            "csrf_token": form_token(sign_in_page.text),
        },
    )
    home = client.get("/")
    assert home.status_code == 303
    assert home.headers["location"] == "/account/second-factor"
    assert client.get("/staff").headers["location"] == "/account/second-factor"
    refused = client.get("/api/staff")
    assert refused.status_code == 403
    assert refused.json()["field"] == "second_factor"

    totp, codes = _enrol(client, clock)
    assert client.get("/staff").status_code == 200

    clock.advance(minutes=1)
    signed = _sign_in_with_code(client, "administrator", totp.at(clock.now))
    assert signed.status_code == 303
    assert client.get("/staff").status_code == 200

    # The same code again (the same 30 seconds) is refused: no code works twice.
    again = _sign_in_with_code(client, "administrator", totp.at(clock.now))
    assert again.status_code == 401
    assert "not right or was used already" in again.text
    assert client.get("/staff").status_code == 303

    # A recovery code works once.
    assert _sign_in_with_code(client, "administrator", codes[0]).status_code == 303
    assert _sign_in_with_code(client, "administrator", codes[0]).status_code == 401


def test_the_api_sign_in_of_an_account_with_totp_needs_the_code(
    client: TestClient, clock: Clock
) -> None:
    sign_in(client, "nurse")
    totp, _ = _enrol(client, clock)
    client.cookies.clear()
    clock.advance(seconds=30)
    without = client.post("/api/sign-in", json={"email": EMAILS["nurse"], "password": PASSWORD})
    assert without.status_code == 401
    assert without.json()["field"] == "code"
    headers = _api(client, "nurse", code=totp.at(clock.now))
    assert client.get("/api/me", headers=headers).json()["user"]["email"] == EMAILS["nurse"]


# --- staff administration -------------------------------------------------------------------


@pytest.fixture
def admin_headers(client: TestClient, clock: Clock) -> dict[str, str]:
    """The Harbour administrator, signed in through the API with TOTP set up."""
    client.cookies.clear()
    page = client.get("/sign-in")
    client.post(
        "/sign-in",
        data={
            "email": EMAILS["administrator"],
            "password": PASSWORD,
            "csrf_token": form_token(page.text),
        },
    )
    totp, _ = _enrol(client, clock)
    clock.advance(seconds=30)
    return _api(client, "administrator", code=totp.at(clock.now))


def test_an_invited_member_of_staff_sets_a_password_from_the_emailed_link(
    client: TestClient, mail: _Inbox, admin_headers: dict[str, str]
) -> None:
    invited = client.post(
        "/api/staff",
        headers=admin_headers,
        json={
            "email": "noor.nurse@example.org",
            "display_name": "Noor Nurse",
            "role": "clinician",
            "profession": "nurse",
            "site_ids": [HARBOUR],
        },
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["emailed"] is True
    assert invited.json()["link"] is None
    assert invited.json()["staff"]["invitation_open"] is True
    path = mail.link("noor.nurse@example.org")

    form = client.get(path)
    assert form.status_code == 200
    assert "Welcome to hipcare" in form.text
    done = client.post(
        path,
        data={
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
            "csrf_token": form_token(form.text),
        },
    )
    assert done.status_code == 200
    assert "Your password is set" in done.text
    assert client.get(path).status_code == 410  # used

    _api(client, "noor.nurse@example.org", NEW_PASSWORD)
    assert client.get("/api/staff").status_code == 403  # a clinician does not manage staff


def test_an_administrator_cannot_invite_to_another_site_or_change_its_staff(
    client: TestClient, staff: Staff, admin_headers: dict[str, str]
) -> None:
    refused = client.post(
        "/api/staff",
        headers=admin_headers,
        json={
            "email": "x@example.org",
            "display_name": "X",
            "role": "clinician",
            "profession": "nurse",
            "site_ids": [NORTHERN],
        },
    )
    # Another site's staff are not this administrator's: refused (403), not a form mistake.
    assert refused.status_code == 403
    assert refused.json()["field"] == "site"
    listed = client.get("/api/staff", headers=admin_headers).json()
    assert staff.physiotherapist not in {member["id"] for member in listed}
    assert staff.surgeon in {member["id"] for member in listed}
    other = client.patch(
        f"/api/staff/{staff.physiotherapist}", headers=admin_headers, json={"active": False}
    )
    assert other.status_code == 403
    shared = client.patch(
        f"/api/staff/{staff.nurse}", headers=admin_headers, json={"active": False}
    )
    assert shared.status_code == 403


def test_a_deactivated_member_of_staff_is_signed_out_and_cannot_sign_in(
    client: TestClient, staff: Staff, admin_headers: dict[str, str]
) -> None:
    surgeon = TestClient(client.app, follow_redirects=False)
    surgeon_headers = _api(surgeon, "surgeon")
    assert surgeon.get("/api/me", headers=surgeon_headers).status_code == 200

    changed = client.patch(
        f"/api/staff/{staff.surgeon}",
        headers=admin_headers,
        json={"active": False, "role": "clinician"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is False

    assert surgeon.get("/api/me", headers=surgeon_headers).status_code == 401
    again = surgeon.post("/api/sign-in", json={"email": EMAILS["surgeon"], "password": PASSWORD})
    assert again.status_code == 401
    assert again.json()["field"] == "wrong-email-or-password"

    page = client.get("/staff")
    assert page.status_code == 200
    assert "Deactivated" in page.text
    restored = client.patch(
        f"/api/staff/{staff.surgeon}", headers=admin_headers, json={"active": True}
    )
    assert restored.json()["active"] is True
    _api(surgeon, "surgeon")


# --- passwords ----------------------------------------------------------------------------


def test_a_password_reset_link_arrives_works_once_and_ends_other_sessions(
    client: TestClient, mail: _Inbox, clock: Clock
) -> None:
    other_device = TestClient(client.app, follow_redirects=False)
    other_headers = _api(other_device, "surgeon")
    page = client.get("/password-reset")
    asked = client.post(
        "/password-reset",
        data={"email": EMAILS["surgeon"].upper(), "csrf_token": form_token(page.text)},
    )
    assert asked.status_code == 200
    path = mail.link(EMAILS["surgeon"])
    assert mail.messages[-1]["Subject"] == "hipcare: set a new password"

    clock.advance(minutes=29)
    form = client.get(path)
    assert form.status_code == 200
    done = client.post(
        path,
        data={
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
            "csrf_token": form_token(form.text),
        },
    )
    assert "Your password is set" in done.text
    assert other_device.get("/api/me", headers=other_headers).status_code == 401
    assert client.get(path).status_code == 410
    _api(client, "surgeon", NEW_PASSWORD)


def test_a_reset_link_expires_after_30_minutes_on_the_apps_clock(
    client: TestClient, mail: _Inbox, clock: Clock
) -> None:
    client.post("/api/password-reset", json={"email": EMAILS["nurse"]})
    path = mail.link(EMAILS["nurse"])
    clock.advance(minutes=30)
    expired = client.get(path)
    assert expired.status_code == 410
    assert "This link no longer works" in expired.text


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    client: TestClient, mail: _Inbox
) -> None:
    known = client.post("/api/password-reset", json={"email": EMAILS["nurse"]})
    unknown = client.post("/api/password-reset", json={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    page = client.get("/password-reset")
    answers = [
        client.post(
            "/password-reset", data={"email": email, "csrf_token": form_token(page.text)}
        ).text
        for email in (EMAILS["nurse"], "nobody@example.org")
    ]
    assert answers[0] == answers[1]
    assert {message["To"] for message in mail.messages} == {EMAILS["nurse"]}


class _SlowInbox(_Inbox):
    """An SMTP server that takes :data:`SLOW_SMTP_SECONDS` to accept each message."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's hook name
        await asyncio.sleep(SLOW_SMTP_SECONDS)
        return await super().handle_DATA(server, session, envelope)


SLOW_SMTP_SECONDS = 2.0


def test_a_reset_request_is_answered_before_any_work_so_its_time_tells_nothing(
    settings: Settings, clock: Clock, staff: Staff
) -> None:
    """On a real server (uvicorn) with an SMTP server that takes 2 s per message, a known
    address is answered long before its email is accepted: the lookup, the token and the email
    happen after the answer, so the answer's time is the same for an unknown address."""
    handler = _SlowInbox()
    smtp_port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    application = _app(settings, clock, smtp_port)
    server = uvicorn.Server(
        # No websockets: the app has none, and the library's deprecation warnings would be
        # errors here, killing the server's thread.
        uvicorn.Config(
            application, host="127.0.0.1", port=_free_port(), log_level="warning", ws="none"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        url = f"http://127.0.0.1:{server.config.port}/api/password-reset"
        answers = []
        for email in (EMAILS["nurse"], "nobody@example.org"):
            request = urllib.request.Request(
                url,
                data=json.dumps({"email": email}).encode(),
                headers={"Content-Type": "application/json"},
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 -- loopback http
                body = json.loads(answer.read())
                answers.append((answer.status, body, time.perf_counter() - started))
        for _ in range(100):  # the known address's email arrives after the answer
            if handler.messages:
                break
            time.sleep(0.1)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        controller.stop()
        application.state.hipcare.engine.dispose()
    (known_status, known_body, known_seconds), (unknown_status, unknown_body, _) = answers
    assert known_status == unknown_status == 202
    assert known_body == unknown_body
    assert known_seconds < SLOW_SMTP_SECONDS / 2
    assert [message["To"] for message in handler.messages] == [EMAILS["nurse"]]


def test_changing_the_password_needs_the_current_one(client: TestClient) -> None:
    headers = _api(client, "surgeon")
    wrong = client.post(
        "/api/me/password",
        headers=headers,
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "current_password"
    short = client.post(
        "/api/me/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    assert short.json()["field"] == "password"
    done = client.post(
        "/api/me/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert done.status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 200  # this session stays
    _api(client, "surgeon", NEW_PASSWORD)


def test_the_account_page_changes_the_password(client: TestClient) -> None:
    csrf = sign_in(client, "nurse")
    page = client.get("/account")
    assert page.status_code == 200
    assert "Set up an authenticator app" in page.text
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 200
    assert "Your password is changed." in changed.text


def test_the_log_never_holds_a_password_link_token(
    client: TestClient, mail: _Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    """The token in /set-password/{token} reads like a password: the log has the template."""
    client.post("/api/password-reset", json={"email": EMAILS["nurse"]})
    path = mail.link(EMAILS["nurse"])
    token = path.rsplit("/", 1)[1]
    with caplog.at_level("INFO", logger="hipcare.web"):
        client.get(path)
        client.post(path + "/nothing-here")
    assert caplog.records
    assert all(token not in record.getMessage() for record in caplog.records)
    assert EMAILS["nurse"] not in caplog.text


def test_the_staff_page_invites_by_email_and_deactivates(
    client: TestClient, mail: _Inbox, staff: Staff, admin_headers: dict[str, str]
) -> None:
    page = client.get("/staff")
    assert page.status_code == 200
    assert "Ada Surgeon" in page.text
    assert "Cai Physio" not in page.text  # Northern only
    csrf = form_token(page.text)
    invited = client.post(
        "/staff/invite",
        data={
            "csrf_token": csrf,
            "email": "omar.ot@example.org",
            "display_name": "Omar OT",
            "role": "clinician",
            "profession": "occupational-therapist",
            "site_ids": HARBOUR,
        },
    )
    assert invited.status_code == 200, invited.text
    assert "We emailed an invitation to omar.ot@example.org." in invited.text
    assert mail.link("omar.ot@example.org").startswith("/set-password/")
    assert "Invited" in invited.text
    wrong = client.post(
        "/staff/invite",
        data={
            "csrf_token": csrf,
            "email": "x@example.org",
            "display_name": "X",
            "role": "clinician",
            "profession": "nurse",
            "site_ids": NORTHERN,
        },
    )
    assert wrong.status_code == 403
    deactivated = client.post(
        f"/staff/{staff.surgeon}", data={"csrf_token": csrf, "active": "false"}
    )
    assert deactivated.status_code == 200
    assert "Ada Surgeon: deactivated." in deactivated.text
    assert "Reactivate Ada Surgeon" in deactivated.text


def test_a_family_member_changes_their_password_on_the_account_page(
    client: TestClient, uow: Any, password_hash: str
) -> None:
    with uow:
        uow.users.add(
            User("parent@example.org", "Pat Parent", Role.FAMILY, None, password_hash=password_hash)
        )
        uow.commit()
    headers = _api(client, "parent@example.org")
    page = client.get("/account")
    assert page.status_code == 200
    assert "My child's plan" in page.text
    assert "Find a child" not in page.text
    assert "authenticator" not in page.text
    done = client.post(
        "/api/me/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert done.status_code == 204
    _api(client, "parent@example.org", NEW_PASSWORD)
