"""Email each family what is due: ``hipcare send-reminders`` (run by cron or a systemd timer).

Exactly once per (care-plan item, family member, due date), even with two runs at once or a
run that stops midway. How:

1. **Claim** — insert a ``reminder_deliveries`` row (status ``sending``) in its own committed
   transaction. The table's unique key (item, recipient, due date) lets only one run insert
   it; the other sees the conflict and skips that reminder.
2. **Send** — one email through SMTP.
3. **Mark sent** — set the row to ``sent`` (committed).

What this guarantees, honestly: between two runs, a reminder is never sent twice while its
claim is fresh. If a run dies between *send* and *mark sent*, nothing can tell whether the
email left, so after the claim timeout (15 minutes, :data:`REMINDER_CLAIM_TIMEOUT`) the next
run sends it again: **at-least-once** in that one narrow window, exactly-once otherwise. We
chose that over at-most-once (never retrying a stale claim) because a missed reminder for a
child's care costs more than a rare duplicate. A run that dies after *claim* and before
*send* is covered the same way: the reminder goes out on a run after the timeout. An SMTP
refusal releases nothing: the claim stays ``sending`` and is retried after the timeout.

Every run also looks for such stale claims **of any earlier day** (not only the day it
sends for), so a reminder claimed by the day's last run that then died is sent by the next
run whenever it comes, the next morning or a week later, while its item is still not done.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    AuditAction,
    EntityType,
    utc_moment,
)
from hipcare.services.access import write_audit
from hipcare.services.operations import PathwayContent
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.content import LANGUAGES, Translator
from hipcare.services.ports.family import DueReminder

__all__ = [
    "REMINDER_CLAIM_TIMEOUT",
    "SMTP_SETTINGS",
    "ReminderReport",
    "SmtpSettings",
    "claim_reminder",
    "mark_reminder_sent",
    "reminders_due",
    "send_reminders",
    "smtp_sender",
    "stale_reminders",
    "web_smtp_settings",
]

REMINDER_CLAIM_TIMEOUT = timedelta(minutes=15)
"""A reminder claim still 'sending' after this long was left by a crash and is retried."""


def reminders_due(uow: UnitOfWork, day: date) -> list[DueReminder]:
    """Every (family member, care-plan item not done) due on ``day``."""
    with uow:
        return list(uow.family.due_reminders(day))


def stale_reminders(
    uow: UnitOfWork, *, now: datetime, timeout: timedelta = REMINDER_CLAIM_TIMEOUT
) -> list[DueReminder]:
    """Reminders of any day whose claim a run left 'sending' longer than ``timeout`` ago
    (it died between claiming and marking sent), their items still not done."""
    now = utc_moment(now, "now")
    with uow:
        return list(uow.family.stale_reminders(now - timeout))


def claim_reminder(
    uow: UnitOfWork,
    reminder: DueReminder,
    *,
    now: datetime,
    timeout: timedelta = REMINDER_CLAIM_TIMEOUT,
) -> int | None:
    """Claim one reminder before sending it (committed at once): the delivery id, or None
    when another run holds it or it was sent. A claim left 'sending' longer than
    ``timeout`` (a run that crashed between claiming and marking sent) is taken over."""
    now = utc_moment(now, "now")
    with uow:
        claimed = uow.family.claim_delivery(
            reminder.care_plan_item_id, reminder.recipient_id, reminder.due_date, now
        )
        if claimed is not None:
            uow.commit()
            return claimed
    with uow:
        claimed = uow.family.reclaim_stale(
            reminder.care_plan_item_id,
            reminder.recipient_id,
            reminder.due_date,
            now,
            now - timeout,
        )
        uow.commit()
    return claimed


def mark_reminder_sent(
    uow: UnitOfWork, delivery_id: int, reminder: DueReminder, *, now: datetime
) -> None:
    with uow:
        uow.family.mark_sent(delivery_id, now)
        recipient = uow.users.get(reminder.recipient_id)
        if recipient is not None:
            write_audit(
                uow, recipient, AuditAction.REMINDER_SENT, EntityType.CHILD, reminder.child_id, now
            )
        uow.commit()


SMTP_SETTINGS = (
    "HIPCARE_SMTP_HOST",
    "HIPCARE_SMTP_PORT",
    "HIPCARE_SMTP_FROM",
    "HIPCARE_SMTP_USER",
    "HIPCARE_SMTP_PASSWORD",
    "HIPCARE_SMTP_STARTTLS",
    "HIPCARE_PUBLIC_URL",
)


@dataclass(frozen=True)
class SmtpSettings:
    """Where reminder emails go out (``HIPCARE_SMTP_*``) and the site's public address."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    public_url: str = "http://localhost:8000"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> SmtpSettings:
        host = environ.get("HIPCARE_SMTP_HOST", "").strip()
        if not host:
            raise InvalidInputError("HIPCARE_SMTP_HOST", "is not set; name the SMTP server")
        sender = environ.get("HIPCARE_SMTP_FROM", "").strip()
        if "@" not in sender:
            raise InvalidInputError("HIPCARE_SMTP_FROM", "give the address reminders come from")
        port_text = environ.get("HIPCARE_SMTP_PORT", "").strip() or "25"
        if not (port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536):
            raise InvalidInputError("HIPCARE_SMTP_PORT", f"{port_text!r} is not a port number")
        starttls = environ.get("HIPCARE_SMTP_STARTTLS", "").strip().lower()
        if starttls not in ("", "true", "false"):
            raise InvalidInputError("HIPCARE_SMTP_STARTTLS", "write true or false")
        return cls(
            host=host,
            port=int(port_text),
            sender=sender,
            user=environ.get("HIPCARE_SMTP_USER", "").strip() or None,
            password=environ.get("HIPCARE_SMTP_PASSWORD") or None,
            starttls=starttls == "true",
            public_url=(environ.get("HIPCARE_PUBLIC_URL", "").strip() or cls.public_url).rstrip(
                "/"
            ),
        )


def web_smtp_settings(environ: Mapping[str, str]) -> SmtpSettings | None:
    """The web app's SMTP settings (invitation emails): None without ``HIPCARE_SMTP_HOST``;
    ``HIPCARE_SMTP_FROM`` defaults to ``hipcare@localhost`` there, so a server never fails
    to start for want of it; ``public_url`` is empty unless ``HIPCARE_PUBLIC_URL`` is set
    (links then use the address the clinician reached the app at)."""
    if not environ.get("HIPCARE_SMTP_HOST", "").strip():
        return None
    sender = environ.get("HIPCARE_SMTP_FROM", "").strip() or "hipcare@localhost"
    settings = SmtpSettings.from_environ({**environ, "HIPCARE_SMTP_FROM": sender})
    if not environ.get("HIPCARE_PUBLIC_URL", "").strip():
        settings = replace(settings, public_url="")
    return settings


Sender = Callable[[EmailMessage], None]


def smtp_sender(settings: SmtpSettings) -> Sender:
    """Send one message per SMTP connection (a reminder run sends few)."""

    def send(message: EmailMessage) -> None:
        with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user and settings.password:
                smtp.login(settings.user, settings.password)
            smtp.send_message(message)

    return send


@dataclass(frozen=True)
class ReminderReport:
    due: int
    sent: int
    skipped: int
    failed: int


_SUBJECT = "Your child's hip care plan: {title}"


def _message(
    reminder: DueReminder,
    titles: Mapping[str, str],
    settings: SmtpSettings,
    translate: Callable[[str], Translator],
) -> EmailMessage:
    """The email: the item's title in the family's language and a link to their page. No name,
    no clinical detail (email is not a private channel)."""
    words = translate(reminder.language if reminder.language in LANGUAGES else "en")
    title = titles.get(reminder.item_id, reminder.item_id)
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = reminder.email
    message["Subject"] = f"{words.gettext('To do today')}: {title}"
    link = f"{settings.public_url}/family/children/{reminder.child_id}"
    message.set_content(
        f"{words.format_date(reminder.due_date)}\n\n{title}\n\n{link}\n",
        charset="utf-8",
    )
    message["Content-Language"] = words.code  # after set_content, which resets Content-*
    return message


def _titles(
    uow: UnitOfWork,
    reminder: DueReminder,
    content: PathwayContent,
    translate: Callable[[str], Translator],
) -> dict[str, str]:
    from hipcare.services.family.care_plan import child_care_plan
    from hipcare.services.pathway import plan_entries

    words = translate(reminder.language if reminder.language in LANGUAGES else "en")
    with uow:
        child = uow.children.get(reminder.child_id)
        found = None if child is None else child_care_plan(uow, child, content)
    if found is None:
        return {}
    return {entry.id: entry.title for entry in plan_entries(found[0], words)}


def send_reminders(
    uow: UnitOfWork,
    send: Sender,
    settings: SmtpSettings,
    content: PathwayContent,
    *,
    day: date,
    clock: Callable[[], datetime],
    translate: Callable[[str], Translator],
    timeout: timedelta = REMINDER_CLAIM_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> ReminderReport:
    """Claim, send and mark every reminder due on ``day``, and every reminder of an earlier
    day whose claim went stale (see the module's notes);
    ``translate`` gives the translator for a language code (the entry point hands in
    the shipped content's)."""
    information = content.pathway.information_ids
    # Information is read, not done on a day: no reminder (issue 17).
    due = reminders_due(uow, day)
    today = {(r.care_plan_item_id, r.recipient_id, r.due_date) for r in due}
    due += [
        reminder
        for reminder in stale_reminders(uow, now=clock(), timeout=timeout)
        if (reminder.care_plan_item_id, reminder.recipient_id, reminder.due_date) not in today
    ]
    due = [reminder for reminder in due if reminder.item_id not in information]
    sent = skipped = failed = 0
    titles: dict[int, dict[str, str]] = {}
    for reminder in due:
        delivery = claim_reminder(uow, reminder, now=clock(), timeout=timeout)
        if delivery is None:
            skipped += 1
            continue
        if reminder.child_id not in titles:
            titles[reminder.child_id] = _titles(uow, reminder, content, translate)
        try:
            send(_message(reminder, titles[reminder.child_id], settings, translate))
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            if progress is not None:
                progress(f"delivery {delivery}: not sent ({type(error).__name__}); retried later")
            continue
        mark_reminder_sent(uow, delivery, reminder, now=clock())
        sent += 1
        if progress is not None:
            progress(f"delivery {delivery}: sent")
    return ReminderReport(due=len(due), sent=sent, skipped=skipped, failed=failed)
