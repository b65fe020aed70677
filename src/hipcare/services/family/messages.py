"""A word with the team (issue 17): one message thread per child between its family (linked
family members) and its care team (staff of the child's site).

* Who: a family member linked to the child, or staff of the child's site; anyone else is
  refused with an ``access.denied`` audit row (the same refusal whether the child exists or
  not, for a family).
* Every read of the thread (``messages.read``) and every message posted (``message.posted``)
  writes an audit row (ids only). Opening the thread marks the other side's messages read:
  the family sees "read by the care team at 19:52".
* The care team learns that a family message is waiting by email, sent by the running server
  (:mod:`hipcare.web.alert_sender`): the email holds no content and no name, only a link to
  the child's thread (sign-in needed). Each message's notice is claimed once by a
  compare-and-set on its row, so several server processes send it once; a claim left by a
  stopped process is taken over after :data:`NOTICE_CLAIM_TIMEOUT` (at-least-once, as alert
  emails). Notices go to the site's working-hours alert address (messages are not for
  emergencies), else ``HIPCARE_ALERT_EMAIL``. One email per run of unread messages: a
  message sent while an earlier one, already announced, is still unread sends none.
* The family learns the same way that the care team replied
  (:func:`send_reply_notices`): each linked family member gets one email, in their own
  language (else the child's), saying only "the care team has replied; open hipcare" with a
  link to the family's thread page: no content, no name, nothing clinical. The claim is the
  care-team message row's own (the same columns, the same compare-and-set and timeout), so
  a reply is announced once to all the members together: when SMTP refuses one of them the
  notice is retried after the timeout for all (at-least-once: a member may get it twice).
  The same one-email-per-run rule applies, and a reply the family has read already sends
  none. The family's own messages never send them a notice.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from hipcare.domain.messages import MessageSide, message_text
from hipcare.domain.records import AuditAction, Child, EntityType, Role, User, utc_moment
from hipcare.services.access import find_actor, write_audit
from hipcare.services.alert_routes import routes_in_force
from hipcare.services.family.access import readable_child, stored_user_id
from hipcare.services.family.reminders import SmtpSettings
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.content import LANGUAGES, Site, Translator
from hipcare.services.ports.messages import StoredMessage

__all__ = [
    "MESSAGES_SHOWN",
    "NOTICE_CLAIM_TIMEOUT",
    "NOTICE_LOOKBACK",
    "REPLY_NOTICE_TEXT",
    "MessageThread",
    "NoticeReport",
    "message_notice",
    "message_thread",
    "post_message",
    "reply_notice",
    "send_message_notices",
    "send_reply_notices",
]

MESSAGES_SHOWN = 200
"""The newest messages a thread shows."""

NOTICE_CLAIM_TIMEOUT = timedelta(minutes=5)
"""A notice still claimed after this long was left by a stop or a refusal: retried."""

NOTICE_LOOKBACK = timedelta(days=2)
"""Family messages older than this get no notice (a server restarted after a long stop)."""

REPLY_NOTICE_TEXT = {
    "reply_email_subject": "hipcare: the care team has replied",
    "reply_email_intro": "The care team has replied to you in hipcare.",
    "reply_email_open": "Open hipcare to read it (you need to sign in):",
    "reply_email_private": "This email holds no details on purpose.",
}
"""The family's reply notice: the English text (msgids of the catalogs, the same keys and
text as ``content/family.toml``'s ``[ui]``)."""

Sender = Callable[[EmailMessage], None]


@dataclass(frozen=True)
class MessageThread:
    """The thread as one reader sees it: the child, the messages (oldest first) and the
    reader's side."""

    child: Child
    messages: tuple[StoredMessage, ...]
    reader_side: MessageSide


def _side(actor: User) -> MessageSide:
    return MessageSide.FAMILY if actor.role is Role.FAMILY else MessageSide.CARE_TEAM


def message_thread(
    uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime, mark_read: bool = True
) -> MessageThread:
    """The child's thread for a linked family member or staff of its site; audited
    (``messages.read``). With ``mark_read``, the other side's messages become read now."""
    with uow:
        actor = find_actor(uow, actor_id)
        child = readable_child(uow, actor, child_id, now, staff_too=True)
        side = _side(actor)
        if mark_read:
            other = MessageSide.CARE_TEAM if side is MessageSide.FAMILY else MessageSide.FAMILY
            uow.messages.mark_read(child_id, other, now)
        messages = tuple(uow.messages.thread(child_id, MESSAGES_SHOWN))
        write_audit(uow, actor, AuditAction.MESSAGES_READ, EntityType.CHILD, child_id, now)
        uow.commit()
    return MessageThread(child, messages, side)


def post_message(
    uow: UnitOfWork, actor_id: int, child_id: int, body: object, *, now: datetime
) -> int:
    """Add a message to the child's thread from a linked family member or staff of its site;
    audited (``message.posted``). Its id. Refuses bad text naming the field ``body``."""
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=True)
        text = message_text(body)
        message_id = uow.messages.add(child_id, stored_user_id(actor), _side(actor), text, now)
        write_audit(uow, actor, AuditAction.MESSAGE_POSTED, EntityType.CHILD, child_id, now)
        uow.commit()
    return message_id


@dataclass(frozen=True)
class NoticeReport:
    pending: int
    sent: int
    skipped: int
    failed: int


def message_notice(child_id: int, recipient: str, smtp: SmtpSettings) -> EmailMessage:
    """The email that a family message is waiting: a link only, no content, no name."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = recipient
    message["Subject"] = "hipcare: a family message is waiting"
    link = f"{smtp.public_url}/children/{child_id}/messages"
    message.set_content(
        "A family sent a message to the care team in hipcare.\n\n"
        f"Read it (sign-in needed):\n{link}\n\n"
        "This email holds no patient details on purpose.\n",
        charset="utf-8",
    )
    return message


def _recipient(
    uow: UnitOfWork, site_id: str, sites: Mapping[str, Site], fallback: str | None
) -> str | None:
    routes = routes_in_force(uow, site_id, sites)
    return routes.working_hours_address or fallback


def send_message_notices(
    uow: UnitOfWork,
    send: Sender,
    smtp: SmtpSettings,
    *,
    sites: Mapping[str, Site],
    fallback_address: str | None,
    clock: Callable[[], datetime],
    log: Callable[[str], None] | None = None,
) -> NoticeReport:
    """Claim, send and mark the notice of every waiting family message (module docstring)."""
    now = utc_moment(clock(), "now")
    with uow:
        pending = list(uow.messages.notices_to_send(now - NOTICE_LOOKBACK))
        recipients = {
            site_id: _recipient(uow, site_id, sites, fallback_address)
            for site_id in {notice.site_id for notice in pending}
        }
    sent = skipped = failed = 0
    for notice in pending:
        recipient = recipients[notice.site_id]
        if recipient is None:
            skipped += 1
            continue
        with uow:
            won = uow.messages.claim_notice(notice.message_id, clock(), now - NOTICE_CLAIM_TIMEOUT)
            uow.commit()
        if not won:
            skipped += 1
            continue
        if notice.team_told:
            # The team was told already and has not opened the thread since: no second email.
            with uow:
                uow.messages.mark_notice_sent(notice.message_id, clock())
                uow.commit()
            skipped += 1
            continue
        try:
            send(message_notice(notice.child_id, recipient, smtp))
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            if log is not None:
                log(f"message {notice.message_id}: notice not sent ({type(error).__name__})")
            continue
        with uow:
            uow.messages.mark_notice_sent(notice.message_id, clock())
            uow.commit()
        sent += 1
        if log is not None:
            log(f"message {notice.message_id}: notice sent")
    return NoticeReport(pending=len(pending), sent=sent, skipped=skipped, failed=failed)


def reply_notice(
    child_id: int, recipient: str, words: Translator, smtp: SmtpSettings
) -> EmailMessage:
    """The email telling a family member that the care team replied, in ``words``'
    language: a link to the family's thread page only, no content, no name."""
    text = {key: words.gettext(msgid) for key, msgid in REPLY_NOTICE_TEXT.items()}
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = recipient
    message["Subject"] = text["reply_email_subject"]
    link = f"{smtp.public_url}/family/children/{child_id}/messages"
    message.set_content(
        f"{text['reply_email_intro']}\n\n{text['reply_email_open']}\n{link}\n\n"
        f"{text['reply_email_private']}\n",
        charset="utf-8",
    )
    message["Content-Language"] = words.code  # after set_content, which resets Content-*
    return message


def _reply_emails(
    uow: UnitOfWork, child_id: int, smtp: SmtpSettings, translate: Callable[[str], Translator]
) -> list[EmailMessage]:
    """One reply notice per linked family member with an email, each in their language."""
    with uow:
        child = uow.children.get(child_id)
        carers = list(uow.family.carers(child_id))
    child_language = child.preferred_language if child is not None else "en"
    emails = []
    for carer in carers:
        if not carer.email:
            continue
        language = carer.language or child_language
        words = translate(language if language in LANGUAGES else "en")
        emails.append(reply_notice(child_id, carer.email, words, smtp))
    return emails


def send_reply_notices(
    uow: UnitOfWork,
    send: Sender,
    smtp: SmtpSettings,
    *,
    translate: Callable[[str], Translator],
    clock: Callable[[], datetime],
    log: Callable[[str], None] | None = None,
) -> NoticeReport:
    """Claim, send and mark the family's notice of every care-team reply (module docstring).
    ``pending`` counts replies, ``sent`` emails (one per family member)."""
    now = utc_moment(clock(), "now")
    with uow:
        pending = list(uow.messages.notices_to_send(now - NOTICE_LOOKBACK, MessageSide.CARE_TEAM))
    sent = skipped = failed = 0
    for notice in pending:
        with uow:
            won = uow.messages.claim_notice(notice.message_id, clock(), now - NOTICE_CLAIM_TIMEOUT)
            uow.commit()
        if not won:
            skipped += 1
            continue
        emails = (
            []
            if notice.team_told or notice.read
            else _reply_emails(uow, notice.child_id, smtp, translate)
        )
        try:
            for email in emails:
                send(email)
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            if log is not None:
                log(f"message {notice.message_id}: reply notice not sent ({type(error).__name__})")
            continue
        with uow:
            uow.messages.mark_notice_sent(notice.message_id, clock())
            uow.commit()
        if not emails:
            # Told already and not read since, read already, or no family member: no email.
            skipped += 1
            continue
        sent += len(emails)
        if log is not None:
            log(f"message {notice.message_id}: reply notice sent to {len(emails)} family member(s)")
    return NoticeReport(pending=len(pending), sent=sent, skipped=skipped, failed=failed)
