"""``hipcare send-reminders`` against a local SMTP server (aiosmtpd in a thread), on SQLite and
PostgreSQL: each reminder once, also with two runs at once, a claim left by a stopped run,
and an SMTP server that refuses."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage, Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from web_support import HARBOUR, Staff

from hipcare.bootstrap import load_content
from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.content.pathway import load_pathway, load_surgeons
from hipcare.content.sites import load_sites
from hipcare.domain.records import Profession, Role, User
from hipcare.services.family import reminders_due
from hipcare.services.family.reminders import (
    SmtpSettings,
    claim_reminder,
    send_reminders,
    smtp_sender,
    stale_reminders,
)
from hipcare.services.operations import PathwayContent, plan_operation, start_pathway
from hipcare.services.records import register_child
from hipcare.storage import SqlAlchemyUnitOfWork, create_database_engine, create_session_factory

CONTENT = load_content()

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SURGERY = date(2026, 4, 20)


class _Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's hook name
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


_INFORMATION = load_pathway().information_ids


def _tasks(reminders: list[Any]) -> list[Any]:
    """The reminders a run sends: information is read, not done on a day (issue 17)."""
    return [reminder for reminder in reminders if reminder.item_id not in _INFORMATION]


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


def _content() -> PathwayContent:
    return PathwayContent.of(
        load_pathway(), load_surgeons(), {site.id: site.name for site in load_sites()}
    )


_ENGINES: list[Any] = []


def _due(database_url: str) -> list[Any]:
    """The reminders due on the surgery day, information left out (it is read, not done on
    a day: issue 17)."""
    information = load_pathway().information_ids
    due = reminders_due(_uow(database_url), SURGERY)
    return [reminder for reminder in due if reminder.item_id not in information]


def _uow(database_url: str) -> SqlAlchemyUnitOfWork:
    """A unit of work on its own engine (a run of its own, as two processes would have)."""
    engine = create_database_engine(database_url)
    _ENGINES.append(engine)
    return SqlAlchemyUnitOfWork(create_session_factory(engine))


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    yield
    while _ENGINES:
        _ENGINES.pop().dispose()


@pytest.fixture
def families(database_url: str, staff: Staff, password_hash: str) -> list[int]:
    """Two children with started plans; the first has two family members, the second one."""
    uow = _uow(database_url)
    with uow:
        surgeon = uow.users.add(
            User(
                "lee@example.org",
                "Sam Lee",
                Role.CLINICIAN,
                Profession.SURGEON,
                frozenset({HARBOUR}),
                password_hash=password_hash,
                surgeon_profile="dr-lee",
            )
        )
        uow.commit()
    children = []
    for number, members in ((1, ["a1", "a2"]), (2, ["b1"])):
        child = register_child(
            uow,
            staff.nurse,
            {
                "given_name": f"Child {number}",
                "family_name": "Test",
                "date_of_birth": "2020-01-01",
                "site": HARBOUR,
                "preferred_language": "en" if number == 1 else "vi",
                "gmfcs": "IV",
            },
            today=NOW.date(),
            now=NOW,
            rules=CONTENT.surveillance_rules,
        )
        assert child.id is not None
        operation = plan_operation(
            uow,
            staff.nurse,
            child.id,
            {
                "sides": "right",
                "procedures": ["vdro"],
                "implant": "Plate",
                "surgeon_id": surgeon.id,
                "surgery_date": SURGERY.isoformat(),
            },
            _content(),
            today=NOW.date(),
            now=NOW,
        )
        assert operation.id is not None
        facts = {"wheelchair_user": True, "attends_school": True, "sees_therapists": True}
        start_pathway(uow, staff.nurse, child.id, operation.id, facts, _content(), now=NOW)
        with uow:
            for member in members:
                user = uow.users.add(
                    User(
                        f"{member}@example.org",
                        member,
                        Role.FAMILY,
                        None,
                        password_hash=password_hash,
                    )
                )
                assert user.id is not None
                uow.family.link(user.id, child.id, NOW)
            uow.commit()
        children.append(child.id)
    return children


def _settings(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, sender="care@example.org")


def _run(database_url: str, port: int, day: date, now: datetime, **options: Any) -> Any:
    return send_reminders(
        _uow(database_url),
        smtp_sender(_settings(port)),
        _settings(port),
        _content(),
        day=day,
        clock=lambda: now,
        **options,
        translate=CONTENT.words,
    )


def test_each_reminder_goes_out_once_and_a_second_run_sends_nothing(
    database_url: str, families: list[int], smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    due = _due(database_url)
    assert len(due) >= 3, "the surgery day has steps for all three family members"
    first = _run(database_url, port, SURGERY, NOW)
    assert (first.due, first.sent, first.skipped, first.failed) == (len(due), len(due), 0, 0)
    again = _run(database_url, port, SURGERY, NOW + timedelta(hours=1))
    assert (again.sent, again.skipped) == (0, len(due))
    assert len(inbox.messages) == len(due)
    recipients = Counter(message["To"] for message in inbox.messages)
    assert set(recipients) == {"a1@example.org", "a2@example.org", "b1@example.org"}
    english = next(m for m in inbox.messages if m["To"] == "a1@example.org")
    assert english["Subject"].startswith("To do today: ")
    assert f"/family/children/{families[0]}" in english.get_payload(decode=True).decode()
    vietnamese = next(m for m in inbox.messages if m["To"] == "b1@example.org")
    assert vietnamese["Content-Language"] == "vi"
    assert "Child" not in str(english.get_payload()), "no child's name in an email"


def test_two_runs_at_once_deliver_each_reminder_once(
    database_url: str, families: list[int], smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    due = _due(database_url)
    results: list[Any] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        results.append(_run(database_url, port, SURGERY, NOW))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(result.sent for result in results) == len(due)
    assert sum(result.skipped for result in results) == len(due)
    keys = Counter((m["To"], m["Subject"]) for m in inbox.messages)
    assert len(inbox.messages) == len(due)
    assert max(keys.values()) == 1


def test_a_claim_left_by_a_stopped_run_is_retried_after_the_timeout(
    database_url: str, families: list[int], smtp: tuple[_Inbox, int]
) -> None:
    """A run that claimed and then died (or whose SMTP refused) leaves 'sending': the next run
    within the timeout leaves it alone; a run after it sends it (attempt 2)."""
    inbox, port = smtp
    due = _due(database_url)

    def refuse(message: EmailMessage) -> None:
        raise ConnectionRefusedError

    stopped = send_reminders(
        _uow(database_url),
        refuse,
        _settings(port),
        _content(),
        day=SURGERY,
        clock=lambda: NOW,
        translate=CONTENT.words,
    )
    assert (stopped.sent, stopped.failed) == (0, len(due))
    soon = _run(database_url, port, SURGERY, NOW + timedelta(minutes=5))
    assert (soon.sent, soon.skipped) == (0, len(due))
    assert inbox.messages == []
    later = _run(database_url, port, SURGERY, NOW + timedelta(minutes=16))
    assert later.sent == len(due)
    assert len(inbox.messages) == len(due)


def test_a_reminder_claimed_by_the_days_last_run_that_died_is_sent_by_the_next_run_days_later(
    database_url: str, families: list[int], smtp: tuple[_Inbox, int]
) -> None:
    """The surgery day's last run claims its reminders and dies before sending (issue 13).
    The next run is for another day, three days on: it still sends the surgery day's
    reminders (their claims are stale), each once, besides that day's own."""
    inbox, port = smtp
    due = reminders_due(_uow(database_url), SURGERY)
    for reminder in due:
        assert claim_reminder(_uow(database_url), reminder, now=NOW) is not None
    later_day = SURGERY + timedelta(days=3)
    own = reminders_due(_uow(database_url), later_day)
    report = _run(database_url, port, later_day, NOW + timedelta(days=3))
    assert report.sent == len(_tasks(due)) + len(_tasks(own))
    assert len(inbox.messages) == len(_tasks(due)) + len(_tasks(own))
    again = _run(database_url, port, later_day, NOW + timedelta(days=3, hours=1))
    assert again.sent == 0
    assert len(inbox.messages) == len(_tasks(due)) + len(_tasks(own))


def test_a_stale_claim_of_a_step_done_since_is_not_sent(
    database_url: str, families: list[int], smtp: tuple[_Inbox, int]
) -> None:
    """A stale claim is sent only while its item is still not done."""
    _, port = smtp
    due = reminders_due(_uow(database_url), SURGERY)
    for reminder in due:
        claim_reminder(_uow(database_url), reminder, now=NOW)
    uow = _uow(database_url)
    with uow:
        for reminder in due:
            uow.care_plan_items.mark_done(reminder.care_plan_item_id, NOW, 1)
        uow.commit()
    assert stale_reminders(_uow(database_url), now=NOW + timedelta(days=1)) == []
    report = _run(database_url, port, SURGERY + timedelta(days=1), NOW + timedelta(days=1))
    assert report.sent == len(
        _tasks(reminders_due(_uow(database_url), SURGERY + timedelta(days=1)))
    )


def test_a_done_step_is_not_reminded(
    database_url: str, families: list[int], smtp: tuple[_Inbox, int]
) -> None:
    from hipcare.services.family import started_care_plan

    uow = _uow(database_url)
    with uow:
        found = started_care_plan(uow, families[1])
        assert found is not None
        state = next(s for s in found[1] if s.due_date == SURGERY)
        uow.care_plan_items.save(
            type(state)(
                operation_plan_id=state.operation_plan_id,
                item_id=state.item_id,
                due_date=state.due_date,
                done_at=NOW,
                done_by=1,
                id=state.id,
            )
        )
        uow.commit()
    due = _due(database_url)
    assert state.item_id not in {r.item_id for r in due if r.child_id == families[1]}


def test_the_command_sends_and_reports_in_process_and_as_a_real_process(
    database_url: str, families: list[int], smtp: tuple[_Inbox, int], tmp_path: Any
) -> None:
    inbox, port = smtp
    environ = {
        "HIPCARE_DATABASE_URL": database_url,
        "HIPCARE_DATA_DIR": str(tmp_path),
        "HIPCARE_SMTP_HOST": "127.0.0.1",
        "HIPCARE_SMTP_PORT": str(port),
        "HIPCARE_SMTP_FROM": "care@example.org",
        "HIPCARE_PUBLIC_URL": "https://hipcare.example.org/",
    }
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["send-reminders", "--date", SURGERY.isoformat()],
        environ,
        io=CommandIO(io.StringIO(), out, err, environ),
    )
    assert status == 0, err.getvalue()
    sent = len(inbox.messages)
    assert sent >= 3
    assert out.getvalue().startswith(f"{SURGERY.isoformat()}: {sent} due, {sent} sent")
    assert "https://hipcare.example.org/family/children/" in str(inbox.messages[0].get_payload())
    process = subprocess.run(
        [sys.executable, "-m", "hipcare", "send-reminders", "--date", SURGERY.isoformat()],
        env={**environ, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert f"0 sent, {sent} already sent" in process.stdout
    assert len(inbox.messages) == sent
    no_sender = {**environ, "HIPCARE_SMTP_FROM": ""}
    bad = main(["send-reminders"], no_sender, io=CommandIO(io.StringIO(), out, err, no_sender))
    assert bad == 2
    assert (
        err.getvalue()
        .strip()
        .splitlines()[-1]
        .startswith("hipcare send-reminders: error: HIPCARE_SMTP_FROM")
    )


def test_each_carer_gets_reminders_in_their_own_language(
    database_url: str, families: list[int], smtp: tuple[_Inbox, int]
) -> None:
    """Issue 17: the child's language is English; one carer chose Vietnamese on the family
    pages, so their reminders are Vietnamese while the other carer's stay English."""
    from hipcare.content.i18n import LANGUAGES
    from hipcare.services.family import choose_carer_language

    inbox, port = smtp
    uow = _uow(database_url)
    with uow:
        second = uow.users.by_email("a2@example.org")
        assert second is not None
        assert second.id is not None
    assert choose_carer_language(uow, second.id, "vi", languages=set(LANGUAGES))
    due = reminders_due(_uow(database_url), SURGERY)
    languages = {(reminder.email, reminder.language) for reminder in due}
    assert ("a1@example.org", "en") in languages
    assert ("a2@example.org", "vi") in languages
    assert ("a2@example.org", "en") not in languages
    _run(database_url, port, SURGERY, NOW)
    by_recipient = {message["To"]: message for message in inbox.messages}
    assert by_recipient["a1@example.org"]["Content-Language"] == "en"
    assert by_recipient["a2@example.org"]["Content-Language"] == "vi"
