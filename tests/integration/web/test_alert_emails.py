"""Diary alerts reach a person (issue 16): the running web server emails each new alert
to the site's alert address within its polling interval, exactly once, also with two
senders racing for the claim; with a real SMTP server (aiosmtpd) on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from web_support import HARBOUR, Clock, Staff

from hipcare.bootstrap import load_content
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.records import Alert
from hipcare.services.alert_emails import send_alert_emails
from hipcare.services.family.reminders import SmtpSettings, smtp_sender
from hipcare.services.records import register_child
from hipcare.settings import Settings
from hipcare.storage import SqlAlchemyUnitOfWork, create_database_engine, create_session_factory
from hipcare.web import create_app

TEAM = "care-team@example.org"


class _Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

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


def _children(uow: SqlAlchemyUnitOfWork, staff: Staff, now: datetime, count: int) -> list[int]:
    ids = []
    for number in range(count):
        child = register_child(
            uow,
            staff.nurse,
            {
                "given_name": f"Secretname{number}",
                "family_name": "Test",
                "date_of_birth": "2020-01-01",
                "site": HARBOUR,
                "preferred_language": "en",
                "gmfcs": "IV",
            },
            today=now.date(),
            now=now,
            rules=load_surveillance_rules(),
        )
        assert child.id is not None
        ids.append(child.id)
    return ids


def _raise_alerts(uow: SqlAlchemyUnitOfWork, child_ids: list[int], at: datetime) -> None:
    with uow:
        for child_id in child_ids:
            uow.alerts.add(Alert(child_id, "diary-pain-numeric", at))
        uow.commit()


def _wait_for(inbox: _Inbox, count: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_running_server_emails_a_new_alert_once_within_its_polling_interval(
    smtp: tuple[_Inbox, int],
    database_url: str,
    tmp_path: Path,
    uow: SqlAlchemyUnitOfWork,
    staff: Staff,
    clock: Clock,
) -> None:
    """No cron: the app's background task sends it; the email names no patient."""
    inbox, port = smtp
    settings = Settings.from_environ(
        {
            "HIPCARE_DATABASE_URL": database_url,
            "HIPCARE_DATA_DIR": str(tmp_path),
            "HIPCARE_ALERT_EMAIL": TEAM,
            "HIPCARE_ALERT_POLL_SECONDS": "1",
            "HIPCARE_SMTP_HOST": "127.0.0.1",
            "HIPCARE_SMTP_PORT": str(port),
            "HIPCARE_PUBLIC_URL": "https://hipcare.example.org",
        }
    )
    [child_id] = _children(uow, staff, clock.now, 1)
    app = create_app(settings, clock=clock)
    try:
        with TestClient(app):
            time.sleep(0.2)
            assert inbox.messages == []
            _raise_alerts(uow, [child_id], clock.now)
            started = time.monotonic()
            _wait_for(inbox, 1, 10)
            assert len(inbox.messages) == 1
            assert time.monotonic() - started < 3  # one polling interval, and some slack
            time.sleep(2.5)  # two more passes send nothing more
        assert len(inbox.messages) == 1
    finally:
        app.state.hipcare.engine.dispose()
    message = inbox.messages[0]
    assert message["To"] == TEAM
    body = message.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]  # a text/plain part
    assert f"https://hipcare.example.org/children/{child_id}#family-diary" in body
    assert "Secretname" not in body
    assert "Secretname" not in str(message["Subject"])


def test_two_senders_racing_send_each_alert_exactly_once(
    smtp: tuple[_Inbox, int], database_url: str, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """Two server processes' senders (each its own engine) claim each alert once."""
    inbox, port = smtp
    now = datetime(2026, 3, 2, 19, 34, tzinfo=UTC)
    children = _children(uow, staff, now, 6)
    _raise_alerts(uow, children, now)
    smtp_settings = SmtpSettings("127.0.0.1", port, "hipcare@example.org")
    engines = [create_database_engine(database_url) for _ in range(2)]
    reports = []
    barrier = threading.Barrier(2)

    def run(engine: Any) -> None:
        sender_uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
        barrier.wait()
        reports.append(
            send_alert_emails(
                sender_uow,
                smtp_sender(smtp_settings),
                smtp_settings,
                sites=load_content().sites_by_id,
                escalation=load_content().alert_escalation,
                fallback_address=TEAM,
                clock=lambda: now + timedelta(seconds=5),
            )
        )

    threads = [threading.Thread(target=run, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for engine in engines:
        engine.dispose()
    links = Counter(
        message.get_payload(decode=True).decode("utf-8").split("/children/")[1].split("#")[0]  # type: ignore[union-attr]  # text/plain parts
        for message in inbox.messages
    )
    assert sorted(int(child) for child in links) == sorted(children)
    assert set(links.values()) == {1}
    assert sum(report.sent for report in reports) == len(children)


def test_an_acknowledged_or_old_alert_is_not_emailed(
    smtp: tuple[_Inbox, int], uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    inbox, port = smtp
    now = datetime(2026, 3, 2, 19, 34, tzinfo=UTC)
    old, seen = _children(uow, staff, now, 2)
    with uow:
        uow.alerts.add(Alert(old, "diary-pain-numeric", now - timedelta(days=2)))
        uow.alerts.add(
            Alert(seen, "diary-pain-numeric", now, acknowledged_by=staff.nurse, acknowledged_at=now)
        )
        uow.commit()
    smtp_settings = SmtpSettings("127.0.0.1", port, "hipcare@example.org")
    report = send_alert_emails(
        uow,
        smtp_sender(smtp_settings),
        smtp_settings,
        sites=load_content().sites_by_id,
        escalation=load_content().alert_escalation,
        fallback_address=TEAM,
        clock=lambda: now,
    )
    assert report.pending == 0
    assert inbox.messages == []
