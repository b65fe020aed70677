"""A word with the team (issue 17) through the web app on SQLite and PostgreSQL: the family's
page says it is not for emergencies and whom to call, a message reaches the care team's
page, the family sees when it was read (site time), the JSON API, refusals, audit, logs with
ids only, and the running server's "a message is waiting" email (real SMTP, aiosmtpd)."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from web_support import CHILD_FORM, PASSWORD, Clock, Staff, form_token, sign_in

from hipcare.domain.records import AuditAction, EntityType, Role, User
from hipcare.settings import Settings
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web import create_app

FAMILY_PASSWORD = "our family password"  # noqa: S105 -- synthetic
SECRET = "Question about Ngoc Anh's cast"  # noqa: S105 -- a message, not a password


@pytest.fixture(scope="module")
def family_hash() -> str:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(FAMILY_PASSWORD)


def _register(client: TestClient, **changes: str) -> int:
    client.cookies.clear()
    token = sign_in(client, "nurse")
    response = client.post("/children", data={**CHILD_FORM, **changes, "csrf_token": token})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _link(uow: SqlAlchemyUnitOfWork, email: str, child_id: int, password_hash: str) -> int:
    with uow:
        user = uow.users.add(
            User(email, "Lan Nguyen", Role.FAMILY, None, password_hash=password_hash)
        )
        assert user.id is not None
        uow.family.link(user.id, child_id, datetime(2026, 3, 1, tzinfo=UTC))
        uow.commit()
    return user.id


def _family_sign_in(client: TestClient, email: str) -> str:
    client.cookies.clear()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": email, "password": FAMILY_PASSWORD, "csrf_token": form_token(page.text)},
    )
    assert response.status_code == 303, response.text
    return form_token(client.get("/family", follow_redirects=True).text)


def _api_headers(client: TestClient, email: str, password: str) -> dict[str, str]:
    client.cookies.clear()
    response = client.post("/api/sign-in", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def _actions(uow: SqlAlchemyUnitOfWork, child_id: int) -> list[AuditAction]:
    with uow:
        return [entry.action for entry in uow.audit.for_entity(EntityType.CHILD, str(child_id))]


def test_a_family_message_reaches_the_team_and_the_family_sees_when_it_was_read(
    client: TestClient,
    uow: SqlAlchemyUnitOfWork,
    staff: Staff,
    clock: Clock,
    family_hash: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Read time in the site's clock (Harbour: Australia/Sydney, UTC+11 in March)."""
    child_id = _register(client)
    _link(uow, "lan@example.org", child_id, family_hash)
    token = _family_sign_in(client, "lan@example.org")
    # The child's language is Vietnamese: the page is, until the parent chooses English.
    vietnamese = client.get(f"/family/children/{child_id}/messages").text
    assert "Đây không phải để báo trường hợp cấp cứu." in vietnamese
    client.get(f"/family/language?lang=en&next=/family/children/{child_id}/messages")
    page = client.get(f"/family/children/{child_id}/messages")
    assert page.status_code == 200
    assert "This is not for emergencies" in page.text
    assert 'href="tel:0255501234"' in page.text  # the site's nurse, from sites.toml
    assert "In an emergency, call 000." in page.text
    caplog.set_level(logging.DEBUG)
    sent = client.post(
        f"/family/children/{child_id}/messages", data={"csrf_token": token, "body": SECRET}
    )
    assert sent.status_code == 303
    shown = client.get(sent.headers["location"]).text
    assert "Sent. We told the care team a message is waiting." in shown
    assert "Not read yet" in shown
    clock.now = datetime(2026, 3, 2, 8, 52, tzinfo=UTC)  # 19:52 in Sydney
    client.cookies.clear()
    staff_token = sign_in(client, "nurse")
    child_page = client.get(f"/children/{child_id}")
    assert f'href="/children/{child_id}/messages"' in child_page.text
    team_page = client.get(f"/children/{child_id}/messages")
    assert team_page.status_code == 200
    assert "Question about Ngoc Anh&#39;s cast" in team_page.text
    reply = client.post(
        f"/children/{child_id}/messages",
        data={"csrf_token": staff_token, "body": "Please call the ward tomorrow."},
    )
    assert reply.status_code == 303
    _family_sign_in(client, "lan@example.org")
    family_view = client.get(f"/family/children/{child_id}/messages").text
    assert "Read by the care team at 19:52" in family_view
    assert "Please call the ward tomorrow." in family_view
    actions = _actions(uow, child_id)
    assert actions.count(AuditAction.MESSAGE_POSTED) == 2
    assert actions.count(AuditAction.MESSAGES_READ) == 5  # four family views, one staff
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Ngoc" not in logged
    assert "cast" not in logged


def test_the_api_serves_both_sides_and_refuses_other_families_and_other_sites(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff, family_hash: str
) -> None:
    ours = _register(client)
    theirs = _register(client, given_name="Other", confirm_not_duplicate="on")
    _link(uow, "ours@example.org", ours, family_hash)
    _link(uow, "theirs@example.org", theirs, family_hash)
    family = _api_headers(client, "ours@example.org", FAMILY_PASSWORD)
    posted = client.post(
        f"/api/family/children/{ours}/messages", json={"body": "Hello team"}, headers=family
    )
    assert posted.status_code == 201, posted.text
    bad = client.post(
        f"/api/family/children/{ours}/messages", json={"body": "a\u202eb"}, headers=family
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "body"
    too_long = client.post(
        f"/api/family/children/{ours}/messages", json={"body": "x" * 2001}, headers=family
    )
    assert too_long.status_code == 422
    nurse = _api_headers(client, "nurse@example.org", PASSWORD)
    thread = client.get(f"/api/children/{ours}/messages", headers=nurse).json()
    assert thread["reader_side"] == "care-team"
    assert [(m["side"], m["body"]) for m in thread["messages"]] == [("family", "Hello team")]
    assert thread["messages"][0]["read_at"] is not None
    answer = client.post(
        f"/api/children/{ours}/messages", json={"body": "Hello Lan"}, headers=nurse
    )
    assert answer.status_code == 201
    other = _api_headers(client, "theirs@example.org", FAMILY_PASSWORD)
    assert client.get(f"/api/family/children/{ours}/messages", headers=other).status_code == 403
    refused = client.post(
        f"/api/family/children/{ours}/messages", json={"body": "x"}, headers=other
    )
    assert refused.status_code == 403
    physio = _api_headers(client, "physio@example.org", PASSWORD)  # Northern only
    assert client.get(f"/api/children/{ours}/messages", headers=physio).status_code == 403
    client.cookies.clear()
    sign_in(client, "physiotherapist")
    assert client.get(f"/children/{ours}/messages").status_code == 403
    client.cookies.clear()
    assert client.get(f"/api/children/{ours}/messages").status_code == 401
    assert AuditAction.ACCESS_DENIED in _actions(uow, ours)


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's hook name
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd cannot be given port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_the_running_server_tells_the_team_once_with_no_content(
    smtp: tuple[_Inbox, int],
    database_url: str,
    tmp_path: Path,
    uow: SqlAlchemyUnitOfWork,
    staff: Staff,
    clock: Clock,
    family_hash: str,
) -> None:
    """Two servers poll the same database: one email, holding a link and nothing else."""
    inbox, port = smtp
    settings = Settings.from_environ(
        {
            "HIPCARE_DATABASE_URL": database_url,
            "HIPCARE_DATA_DIR": str(tmp_path),
            "HIPCARE_ALERT_EMAIL": "team@example.org",
            "HIPCARE_ALERT_POLL_SECONDS": "1",
            "HIPCARE_SMTP_HOST": "127.0.0.1",
            "HIPCARE_SMTP_PORT": str(port),
            "HIPCARE_PUBLIC_URL": "https://hipcare.example.org",
            "HIPCARE_SECURE_COOKIES": "false",  # the test client speaks plain http
        }
    )
    first, second = create_app(settings, clock=clock), create_app(settings, clock=clock)
    try:
        with (
            TestClient(
                first, base_url="https://hipcare.example.org", follow_redirects=False
            ) as client,
            TestClient(second),
        ):
            child_id = _register(client)
            _link(uow, "lan@example.org", child_id, family_hash)
            token = _family_sign_in(client, "lan@example.org")
            client.post(
                f"/family/children/{child_id}/messages",
                data={"csrf_token": token, "body": SECRET},
            )
            deadline = time.monotonic() + 10
            while not inbox.messages and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(2.5)  # more passes of both servers send nothing more
    finally:
        first.state.hipcare.engine.dispose()
        second.state.hipcare.engine.dispose()
    [message] = inbox.messages
    assert message["To"] == "team@example.org"
    body = message.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]  # a text/plain part
    assert f"https://hipcare.example.org/children/{child_id}/messages" in body
    for private in ("Ngoc", "Nguy", "cast", "Lan"):
        assert private not in body
        assert private not in str(message["Subject"])


def test_the_running_server_tells_the_family_once_that_the_team_replied_with_no_content(
    smtp: tuple[_Inbox, int],
    database_url: str,
    tmp_path: Path,
    uow: SqlAlchemyUnitOfWork,
    staff: Staff,
    clock: Clock,
    family_hash: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two servers poll the same database: the family member gets one email for the team's
    reply, in the child's language (Vietnamese), holding a link to the family's thread page
    and no message text, no name; the log holds ids only."""
    inbox, port = smtp
    settings = Settings.from_environ(
        {
            "HIPCARE_DATABASE_URL": database_url,
            "HIPCARE_DATA_DIR": str(tmp_path),
            "HIPCARE_ALERT_EMAIL": "team@example.org",
            "HIPCARE_ALERT_POLL_SECONDS": "1",
            "HIPCARE_SMTP_HOST": "127.0.0.1",
            "HIPCARE_SMTP_PORT": str(port),
            "HIPCARE_PUBLIC_URL": "https://hipcare.example.org",
            "HIPCARE_SECURE_COOKIES": "false",  # the test client speaks plain http
        }
    )
    caplog.set_level(logging.INFO)
    answer = "Please bring Ngoc Anh's cast to the ward"
    first, second = create_app(settings, clock=clock), create_app(settings, clock=clock)
    try:
        with (
            TestClient(
                first, base_url="https://hipcare.example.org", follow_redirects=False
            ) as client,
            TestClient(second),
        ):
            child_id = _register(client)
            _link(uow, "lan@example.org", child_id, family_hash)
            token = _family_sign_in(client, "lan@example.org")
            client.post(
                f"/family/children/{child_id}/messages",
                data={"csrf_token": token, "body": SECRET},
            )
            client.cookies.clear()
            staff_token = sign_in(client, "nurse")
            reply = client.post(
                f"/children/{child_id}/messages",
                data={"csrf_token": staff_token, "body": answer},
            )
            assert reply.status_code == 303

            def to_family() -> list[Message]:
                return [m for m in inbox.messages if m["To"] == "lan@example.org"]

            deadline = time.monotonic() + 10
            while not to_family() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(2.5)  # more passes of both servers send nothing more
    finally:
        first.state.hipcare.engine.dispose()
        second.state.hipcare.engine.dispose()
    [message] = to_family()
    assert message["Content-Language"] == "vi"
    body = message.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]  # a text/plain part
    assert f"https://hipcare.example.org/family/children/{child_id}/messages" in body
    assert "Nhóm chăm sóc đã trả lời bạn trong hipcare." in body
    subject = str(message["Subject"])
    for private in ("Ngoc", "Nguy", "cast", "ward", "Please", "Lan"):
        assert private not in body
        assert private not in subject
    logged = "\n".join(  # hipcare's own log (the test's SMTP server logs addresses)
        record.getMessage() for record in caplog.records if record.name.startswith("hipcare")
    )
    assert "reply notice sent to 1 family member(s)" in logged
    for private in ("Ngoc", "Nguy", "cast", "lan@example.org"):
        assert private not in logged


def _invite(client: TestClient, child_id: int, email: str, language: str) -> str:
    client.cookies.clear()
    token = sign_in(client, "nurse")
    response = client.post(
        f"/children/{child_id}/invite-family",
        data={"csrf_token": token, "email": email, "language": language},
    )
    assert response.status_code == 200, response.text
    found = re.search(r'value="http://testserver(/invite/[^"]+)"', response.text)
    assert found, response.text
    return found.group(1)


def test_two_carers_each_keep_their_own_language_and_the_child_page_lists_them(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """Issue 17: a second carer is invited like the first; each reads in their own language
    (the invitation's, then their choice, which follows them to a new sign-in)."""
    child_id = _register(client)  # the child's language is Vietnamese
    for email, name, language in (
        ("mother@example.org", "Thi Lan", "vi"),
        ("grandad@example.org", "Grandad Bill", "en"),
    ):
        path = _invite(client, child_id, email, language)
        client.cookies.clear()
        accepted = client.post(path, data={"display_name": name, "password": FAMILY_PASSWORD})
        assert accepted.status_code == 303, accepted.text
    with uow:
        carers = {carer.email: carer.language for carer in uow.family.carers(child_id)}
    assert carers == {"mother@example.org": "vi", "grandad@example.org": "en"}
    client.cookies.clear()
    sign_in(client, "nurse")
    page = client.get(f"/children/{child_id}").text
    assert "Family carers" in page
    assert "Thi Lan" in page
    assert "Grandad Bill" in page
    # Grandad signs in on a new phone: English, his own, though the child's is Vietnamese.
    _family_sign_in(client, "grandad@example.org")
    today = client.get(f"/family/children/{child_id}").text
    assert '<html lang="en"' in today
    # He switches to Arabic; on his next sign-in his pages open in Arabic.
    client.get(f"/family/language?lang=ar&next=/family/children/{child_id}")
    _family_sign_in(client, "grandad@example.org")
    assert '<html lang="ar" dir="rtl"' in client.get(f"/family/children/{child_id}").text
    # The mother's stays Vietnamese.
    _family_sign_in(client, "mother@example.org")
    assert '<html lang="vi"' in client.get(f"/family/children/{child_id}").text
    with uow:
        carers = {carer.email: carer.language for carer in uow.family.carers(child_id)}
    assert carers == {"mother@example.org": "vi", "grandad@example.org": "ar"}
