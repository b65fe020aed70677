"""The invitation email: the link, in the invitation's language, naming the hospital.

Email is not a private channel: the message holds the link and the hospital's name, never
the child's name or anything clinical (the page behind the link names the child).
"""

from __future__ import annotations

from email.message import EmailMessage

from hipcare.services.family import Invitation
from hipcare.web.rendering.family import Words

__all__ = ["invitation_email"]


def invitation_email(
    invitation: Invitation, t: Words, link: str, hospital: str, sender: str
) -> EmailMessage:
    """The email inviting ``invitation.email`` to follow a child's plan at ``hospital``, in
    the invitation's language (``t``: its translator and the family pages' words, from
    ``WebContext.content``)."""
    words = t.words
    message = EmailMessage()
    message["From"] = sender
    message["To"] = invitation.email
    message["Subject"] = t("invite_email_subject")
    message.set_content(
        f"{t('invite_intro')}\n\n{t('hospital')}: {words.gettext(hospital)}\n\n"
        f"{t('invite_email_open')}\n{link}\n\n{t('invite_email_once')}\n",
        charset="utf-8",
    )
    message["Content-Language"] = words.code  # after set_content, which resets Content-*
    return message
