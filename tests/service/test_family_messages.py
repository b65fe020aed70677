"""A word with the team (issue 17) over every storage engine: who may read and write a
child's thread, the audit rows, read marks, refused text, and the claim-once notices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from tests.support.engines import StorageEngine
from tests.support.staff import HARBOUR, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.messages import MESSAGE_MAX_CHARS, MessageSide
from hipcare.domain.records import Role, User
from hipcare.services.access import PermissionDeniedError
from hipcare.services.family.messages import (
    NOTICE_CLAIM_TIMEOUT,
    REPLY_NOTICE_TEXT,
    NoticeReport,
    message_thread,
    post_message,
    send_message_notices,
    send_reply_notices,
)
from hipcare.services.family.reminders import SmtpSettings
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import register_child

CONTENT = load_content()
SMTP = SmtpSettings("localhost", 25, "hipcare@example.org", public_url="https://hip.example")


def _child(uow: UnitOfWork, staff: Staff, given_name: str = "Mai") -> int:
    document = {
        "given_name": given_name,
        "family_name": "Tran",
        "date_of_birth": "2019-08-02",
        "site": HARBOUR,
        "preferred_language": "vi",
        "gmfcs": "V",
        "confirm_not_duplicate": True,
    }
    child = register_child(
        uow, staff.surgeon, document, today=TODAY, now=NOW, rules=CONTENT.surveillance_rules
    )
    assert child.id is not None
    return child.id


def _family_member(
    uow: UnitOfWork, email: str, *linked_to: int, language: str | None = None
) -> int:
    with uow:
        user = uow.users.add(User(email, "Family member", Role.FAMILY, None))
        assert user.id is not None
        for child_id in linked_to:
            uow.family.link(user.id, child_id, NOW, language)
        uow.commit()
    return user.id


def _actions(storage: StorageEngine, actor_id: int) -> list[tuple[str, str]]:
    return [
        (row["action"], row["entity_id"])
        for row in storage.audit_rows()
        if row["actor_id"] == actor_id
    ]


def test_family_and_care_team_write_and_read_one_thread_and_each_is_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    """The family's message is read when the team opens the thread; both sides are audited."""
    child_id = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    post_message(uow, parent, child_id, "  Can he have a bath?\r\nThanks  ", now=NOW)
    before = message_thread(uow, parent, child_id, now=NOW)
    assert [m.body for m in before.messages] == ["Can he have a bath?\nThanks"]
    assert before.messages[0].side is MessageSide.FAMILY
    assert before.messages[0].read_at is None
    read_at = NOW + timedelta(hours=2)
    team = message_thread(uow, staff.nurse, child_id, now=read_at)
    assert team.reader_side is MessageSide.CARE_TEAM
    post_message(uow, staff.nurse, child_id, "Not until the cast is off.", now=read_at)
    after = message_thread(uow, parent, child_id, now=read_at + timedelta(minutes=1))
    assert [m.read_at for m in after.messages] == [read_at, read_at + timedelta(minutes=1)]
    assert [m.side for m in after.messages] == [MessageSide.FAMILY, MessageSide.CARE_TEAM]
    assert _actions(storage, parent) == [
        ("message.posted", str(child_id)),
        ("messages.read", str(child_id)),
        ("messages.read", str(child_id)),
    ]
    assert _actions(storage, staff.nurse) == [
        ("messages.read", str(child_id)),
        ("message.posted", str(child_id)),
    ]


def test_another_family_and_staff_of_another_site_are_refused_and_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    child_id = _child(uow, staff)
    other_child = _child(uow, staff, "Lan")
    other_parent = _family_member(uow, "other@example.org", other_child)
    for actor in (other_parent, staff.physiotherapist):
        with pytest.raises(PermissionDeniedError):
            message_thread(uow, actor, child_id, now=NOW)
        with pytest.raises(PermissionDeniedError):
            post_message(uow, actor, child_id, "hello", now=NOW)
        assert _actions(storage, actor) == [("access.denied", str(child_id))] * 2
    with uow:
        assert uow.messages.thread(child_id, 10) == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("x" * (MESSAGE_MAX_CHARS + 1), "the most is"),
        ("hello\x00", "control character"),
        ("bad \u202eevil", "direction control"),
        ("isolate \u2066x\u2069", "direction control"),
        (42, "must be text"),
    ],
)
def test_a_message_that_is_empty_too_long_or_hides_text_is_refused_naming_the_field(
    uow: UnitOfWork, staff: Staff, body: object, problem: str
) -> None:
    child_id = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    with pytest.raises(InvalidInputError) as refused:
        post_message(uow, parent, child_id, body, now=NOW)
    assert refused.value.field == "body"
    assert problem in refused.value.problem
    with uow:
        assert uow.messages.thread(child_id, 10) == []


def test_persian_text_with_its_zero_width_non_joiner_is_kept(uow: UnitOfWork, staff: Staff) -> None:
    child_id = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    text = "می\u200cخواهم بدانم"
    post_message(uow, parent, child_id, text, now=NOW)
    assert message_thread(uow, parent, child_id, now=NOW).messages[0].body == text


def test_the_team_notice_is_sent_once_holds_no_content_and_a_failed_one_is_retried(
    uow: UnitOfWork, staff: Staff
) -> None:
    """Two passes send one email; it names no child and quotes nothing; a refusal by SMTP
    is retried after the claim times out; the team's own messages get no notice."""
    child_id = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    post_message(uow, parent, child_id, "Secret question about Mai", now=NOW)
    post_message(uow, staff.nurse, child_id, "A reply", now=NOW)
    outbox: list[EmailMessage] = []

    def refuse(message: EmailMessage) -> None:
        raise OSError("connection refused")

    def send_pass(send: Callable[[EmailMessage], None], at: datetime) -> NoticeReport:
        return send_message_notices(
            uow,
            send,
            SMTP,
            sites=CONTENT.sites_by_id,
            fallback_address="team@example.org",
            clock=lambda: at,
        )

    assert send_pass(refuse, NOW).failed == 1
    assert send_pass(outbox.append, NOW + timedelta(minutes=1)).sent == 0
    later = NOW + NOTICE_CLAIM_TIMEOUT + timedelta(minutes=1)
    assert send_pass(outbox.append, later).sent == 1
    assert send_pass(outbox.append, later + timedelta(minutes=1)).pending == 0
    [email] = outbox
    text = email.get_content()
    assert email["To"] == "team@example.org"
    assert f"https://hip.example/children/{child_id}/messages" in text
    for private in ("Mai", "Tran", "Secret"):
        assert private not in text
    assert "Mai" not in email["Subject"]


def test_a_second_unread_message_sends_no_second_email_until_the_team_has_read(
    uow: UnitOfWork, staff: Staff
) -> None:
    child_id = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    outbox: list[EmailMessage] = []

    def send_pass(at: datetime) -> NoticeReport:
        return send_message_notices(
            uow,
            outbox.append,
            SMTP,
            sites=CONTENT.sites_by_id,
            fallback_address="team@example.org",
            clock=lambda: at,
        )

    post_message(uow, parent, child_id, "First question", now=NOW)
    assert send_pass(NOW).sent == 1
    post_message(uow, parent, child_id, "Second question", now=NOW + timedelta(minutes=5))
    later = send_pass(NOW + timedelta(minutes=6))
    assert (later.sent, later.skipped) == (0, 1)
    message_thread(uow, staff.nurse, child_id, now=NOW + timedelta(hours=1))
    post_message(uow, parent, child_id, "Third question", now=NOW + timedelta(hours=2))
    assert send_pass(NOW + timedelta(hours=2, minutes=1)).sent == 1
    assert send_pass(NOW + timedelta(hours=3)).pending == 0
    assert len(outbox) == 2


def _reply_pass(
    uow: UnitOfWork, at: datetime, send: Callable[[EmailMessage], None]
) -> NoticeReport:
    return send_reply_notices(uow, send, SMTP, translate=CONTENT.words, clock=lambda: at)


def test_the_reply_notice_words_are_family_strings_of_the_catalogs() -> None:
    assert set(REPLY_NOTICE_TEXT.items()) <= set(CONTENT.family_words.items())


def test_each_family_member_is_told_of_a_reply_once_in_their_language_with_no_content(
    uow: UnitOfWork, staff: Staff
) -> None:
    """One claim per reply: two passes (two server processes) send each linked member one
    email, in their own language else the child's (Vietnamese); a refusal by SMTP is
    retried for all after the claim times out; the email quotes nothing and names no one."""
    child_id = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    _family_member(uow, "grandma@example.org", child_id, language="ar")
    _family_member(uow, "other@example.org", _child(uow, staff, "Linh"))
    post_message(uow, parent, child_id, "Secret question about Mai", now=NOW)
    reply = post_message(uow, staff.nurse, child_id, "Secret answer about Mai", now=NOW)
    outbox: list[EmailMessage] = []

    def refuse(message: EmailMessage) -> None:
        raise OSError("connection refused")

    assert _reply_pass(uow, NOW, refuse).failed == 1
    assert _reply_pass(uow, NOW + timedelta(minutes=1), outbox.append).sent == 0
    with uow:  # a fresh claim is held: another process cannot take it
        assert not uow.messages.claim_notice(reply, NOW, NOW - NOTICE_CLAIM_TIMEOUT)
    later = NOW + NOTICE_CLAIM_TIMEOUT + timedelta(minutes=1)
    assert _reply_pass(uow, later, outbox.append).sent == 2
    assert _reply_pass(uow, later + timedelta(minutes=1), outbox.append).pending == 0
    by_recipient = {email["To"]: email for email in outbox}
    assert sorted(by_recipient) == ["grandma@example.org", "parent@example.org"]
    vietnamese, arabic = by_recipient["parent@example.org"], by_recipient["grandma@example.org"]
    assert vietnamese["Content-Language"] == "vi"
    assert "Nhóm chăm sóc đã trả lời bạn trong hipcare." in vietnamese.get_content()
    assert arabic["Content-Language"] == "ar"
    assert "رد عليك الفريق الطبي في hipcare." in arabic.get_content()
    for email in outbox:
        text = email.get_content()
        assert f"https://hip.example/family/children/{child_id}/messages" in text
        for private in ("Mai", "Tran", "Secret", "answer", "Family member"):
            assert private not in text
            assert private not in str(email["Subject"])
    # The team's notice of the family's question is its own, untouched by the replies.
    team = send_message_notices(
        uow,
        outbox.append,
        SMTP,
        sites=CONTENT.sites_by_id,
        fallback_address="team@example.org",
        clock=lambda: later,
    )
    assert (team.pending, team.sent) == (1, 1)


def test_the_familys_own_message_tells_them_nothing_and_one_email_per_run_of_replies(
    uow: UnitOfWork, staff: Staff
) -> None:
    child_id = _child(uow, staff)
    parent = _family_member(uow, "parent@example.org", child_id)
    outbox: list[EmailMessage] = []
    post_message(uow, parent, child_id, "First question", now=NOW)
    own = _reply_pass(uow, NOW + timedelta(minutes=1), outbox.append)
    assert (own.pending, own.sent, outbox) == (0, 0, [])
    post_message(uow, staff.nurse, child_id, "First answer", now=NOW + timedelta(minutes=2))
    assert _reply_pass(uow, NOW + timedelta(minutes=3), outbox.append).sent == 1
    post_message(uow, staff.surgeon, child_id, "Second answer", now=NOW + timedelta(minutes=4))
    second = _reply_pass(uow, NOW + timedelta(minutes=5), outbox.append)
    assert (second.sent, second.skipped) == (0, 1)  # told already, not read since
    message_thread(uow, parent, child_id, now=NOW + timedelta(hours=1))
    post_message(uow, staff.nurse, child_id, "Third answer", now=NOW + timedelta(hours=2))
    assert _reply_pass(uow, NOW + timedelta(hours=2, minutes=1), outbox.append).sent == 1
    # A reply the family has read before the sender's pass needs no email.
    message_thread(uow, parent, child_id, now=NOW + timedelta(hours=3))
    post_message(uow, staff.nurse, child_id, "Fourth answer", now=NOW + timedelta(hours=4))
    message_thread(uow, parent, child_id, now=NOW + timedelta(hours=4, seconds=1))
    read = _reply_pass(uow, NOW + timedelta(hours=4, minutes=1), outbox.append)
    assert (read.sent, read.skipped) == (0, 1)
    assert _reply_pass(uow, NOW + timedelta(hours=5), outbox.append).pending == 0
    assert [email["To"] for email in outbox] == ["parent@example.org"] * 2
