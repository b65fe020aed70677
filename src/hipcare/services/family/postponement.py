"""Telling the family that the operation was postponed: one email to each linked family
member (in the child's language), with no clinical detail beyond "the date has changed" and
a link to their page, where a banner and the re-dated plan say the rest (issue 17).
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from hipcare.domain.records import AuditAction, EntityType, utc_moment
from hipcare.services.access import find_actor, write_audit
from hipcare.services.family.reminders import Sender, SmtpSettings
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.content import LANGUAGES, Translator

__all__ = [
    "POSTPONEMENT_EMAIL_BODY",
    "POSTPONEMENT_EMAIL_SUBJECT",
    "PostponementNotice",
    "tell_family_of_postponement",
]

POSTPONEMENT_EMAIL_SUBJECT = "The date of your child's operation has changed"
POSTPONEMENT_EMAIL_BODY = (
    "The date of your child's hip operation has changed. Open your child's page to see the "
    "new date and what to do now:"
)
"""The email's words (msgids in ``content/family.toml``): no name, no date, no clinical
detail, because email is not a private channel."""


@dataclass(frozen=True)
class PostponementNotice:
    """How many family members were emailed, and how many emails could not be sent."""

    sent: int
    failed: int


def _message(
    email: str, child_id: int, words: Translator, settings: SmtpSettings, public_url: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = email
    message["Subject"] = words.gettext(POSTPONEMENT_EMAIL_SUBJECT)
    link = f"{public_url}/family/children/{child_id}"
    message.set_content(f"{words.gettext(POSTPONEMENT_EMAIL_BODY)}\n\n{link}\n", charset="utf-8")
    message["Content-Language"] = words.code  # after set_content, which resets Content-*
    return message


def tell_family_of_postponement(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    send: Sender,
    settings: SmtpSettings,
    translate: Callable[[str], Translator],
    *,
    now: datetime,
    public_url: str | None = None,
) -> PostponementNotice:
    """Email every family member linked to the child that the date changed; each email sent
    is audited (``postponement.emailed``, by the clinician who postponed). A failed send is
    counted, not raised: the banner on the family's page still tells them."""
    now = utc_moment(now, "now")
    with uow:
        actor = find_actor(uow, actor_id)
        child = uow.children.get(child_id)
        members = [uow.users.get(user_id) for user_id in uow.family.members(child_id)]
    if child is None:
        return PostponementNotice(0, 0)
    language = child.preferred_language if child.preferred_language in LANGUAGES else "en"
    words = translate(language)
    sent = failed = 0
    for member in members:
        if member is None:  # pragma: no cover -- a link names a stored user
            continue
        message = _message(
            member.email, child_id, words, settings, public_url or settings.public_url
        )
        try:
            send(message)
        except (OSError, smtplib.SMTPException):
            failed += 1
            continue
        sent += 1
        with uow:
            write_audit(
                uow, actor, AuditAction.POSTPONEMENT_EMAILED, EntityType.CHILD, child_id, now
            )
            uow.commit()
    return PostponementNotice(sent, failed)
