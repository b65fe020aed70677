"""Inviting a family member by email and accepting the invitation (a one-use, expiring token
whose SHA-256 alone is stored).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    AuditAction,
    Child,
    EntityType,
    Role,
    User,
    utc_moment,
)
from hipcare.services.access import deny, find_actor, write_audit
from hipcare.services.accounts import (
    SessionPolicy,
    account_key,
    client_key,
    hash_password,
    password_matches,
    refuse_while_waiting,
    token_digest,
)
from hipcare.services.family.access import stored_child, stored_user_id
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.content import LANGUAGES
from hipcare.services.ports.family import Invitation

__all__ = [
    "INVITATION_LIFETIME",
    "InvitationRefusedError",
    "OpenedInvitation",
    "accept_invitation",
    "invitation_for",
    "invite_family",
    "open_invitation",
    "refused_invitation_language",
]


INVITATION_LIFETIME = timedelta(days=7)


RefusalReason = Literal["unknown", "used", "expired"]


class InvitationRefusedError(InvalidInputError):
    """The invitation link is unknown, used or expired; ``reason`` says which, so the page
    can tell a family who already used it to sign in (the token is 256 random bits: telling
    used from expired gives nothing away)."""

    def __init__(self, field: str, problem: str, reason: RefusalReason = "unknown") -> None:
        super().__init__(field, problem)
        self.reason: RefusalReason = reason


@dataclass(frozen=True)
class OpenedInvitation:
    """What the invitation page shows: the child's first name, the hospital (site id) and
    the language to show it in, and whether the invitee already has an account."""

    invitation: Invitation
    child_given_name: str
    site_id: str
    language: str
    has_account: bool


def _language(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in LANGUAGES:
        choices = ", ".join(sorted(LANGUAGES))
        raise InvalidInputError("language", f"{value!r} is not one of {choices}")
    return value


def _invitation_language(invitation: Invitation, child: Child) -> str:
    for language in (invitation.language, child.preferred_language):
        if language in LANGUAGES:
            return str(language)
    return "en"


def invite_family(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    email: object,
    *,
    now: datetime,
    language: object = None,
) -> tuple[str, Invitation]:
    """A clinician of the child's site invites ``email``: returns the token (for the link only).

    ``language`` (a code of ``content/languages.toml``) is the language of the invitation
    page and email; without it, the child's preferred language. The token is never stored;
    the database keeps its SHA-256.
    """
    now = utc_moment(now, "now")
    address = email.strip().lower() if isinstance(email, str) else ""
    try:
        User(email=address, display_name="x", role=Role.FAMILY, profession=None)
    except InvalidInputError:
        raise InvalidInputError("email", f"{address!r} is not an email address") from None
    chosen = _language(language)
    with uow:
        actor = find_actor(uow, actor_id)
        child = stored_child(uow, child_id)
        if actor.role is not Role.CLINICIAN or not actor.belongs_to(child.site_id):
            deny(
                uow,
                actor,
                EntityType.CHILD,
                child_id,
                now,
                "only a clinician of the child's site invites a family member",
            )
        existing = uow.users.by_email(address)
        if existing is not None and existing.role is not Role.FAMILY:
            raise InvalidInputError("email", "this address belongs to a staff account")
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            token_digest=token_digest(token),
            child_id=child_id,
            email=address,
            invited_by=stored_user_id(actor),
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
            language=chosen
            or (child.preferred_language if child.preferred_language in LANGUAGES else "en"),
        )
        uow.family.add_invitation(invitation)
        write_audit(uow, actor, AuditAction.FAMILY_INVITED, EntityType.CHILD, child_id, now)
        uow.commit()
    return token, invitation


def _usable(invitation: Invitation | None, now: datetime) -> Invitation:
    reason: RefusalReason | None = None
    if invitation is None:
        reason = "unknown"
    elif invitation.accepted_at is not None:
        reason = "used"
    elif now >= invitation.expires_at:
        reason = "expired"
    if reason is not None or invitation is None:
        raise InvitationRefusedError(
            "invitation",
            "this invitation link is not valid: it was used already, has expired (links last "
            "7 days) or was mistyped. Ask the care team for a new one.",
            reason or "unknown",
        )
    return invitation


def invitation_for(uow: UnitOfWork, token: str, *, now: datetime) -> Invitation:
    """The usable invitation a link's token names (else :class:`InvitationRefusedError`)."""
    with uow:
        return _usable(uow.family.invitation(token_digest(token or "")), utc_moment(now, "now"))


def open_invitation(uow: UnitOfWork, token: str, *, now: datetime) -> OpenedInvitation:
    """The invitation page's values for a usable link (else :class:`InvitationRefusedError`
    with its reason): the child's first name and site, never more of the record."""
    now = utc_moment(now, "now")
    with uow:
        invitation = _usable(uow.family.invitation(token_digest(token or "")), now)
        child = stored_child(uow, invitation.child_id)
        has_account = uow.users.by_email(invitation.email) is not None
    return OpenedInvitation(
        invitation=invitation,
        child_given_name=child.given_name,
        site_id=child.site_id,
        language=_invitation_language(invitation, child),
        has_account=has_account,
    )


def refused_invitation_language(uow: UnitOfWork, token: str) -> str | None:
    """The language of a used or expired invitation (to say so in it), or None if unknown."""
    with uow:
        invitation = uow.family.invitation(token_digest(token or ""))
        if invitation is None:
            return None
        return _invitation_language(invitation, stored_child(uow, invitation.child_id))


def accept_invitation(
    uow: UnitOfWork,
    token: str,
    display_name: object,
    password: object,
    *,
    client_address: str,
    now: datetime,
    policy: SessionPolicy,
) -> User:
    """Use an invitation once: create the family account (or reuse the invitee's family
    account, checking its password) and link it to the child.

    Checking an existing account's password here is a sign-in: a wrong password counts as a
    failed sign-in of that account from ``client_address``, and while the account or the
    address must wait after failures the invitation refuses even the right password
    (:class:`~hipcare.services.accounts.SignInRefusedError`, as :func:`sign_in` does), so
    an invitation link is no way round the failed-sign-in limit.
    """
    now = utc_moment(now, "now")
    if not isinstance(password, str):
        raise InvalidInputError("password", "is missing")
    with uow:
        invitation = _usable(uow.family.invitation(token_digest(token or "")), now)
        existing = uow.users.by_email(invitation.email)
        if existing is not None:
            key = account_key(invitation.email)
            address = client_key(client_address)
            refuse_while_waiting(uow, key, address, now=now, policy=policy)
            if existing.role is not Role.FAMILY or not password_matches(
                existing.password_hash, password
            ):
                uow.sign_in_failures.add(key, address, now)
                uow.commit()
                raise InvalidInputError(
                    "password", "you already have an account: type its password to add this child"
                )
            uow.commit()
    if existing is None:
        hashed = hash_password(password)
        try:
            user = User(
                email=invitation.email,
                display_name=display_name if isinstance(display_name, str) else "",
                role=Role.FAMILY,
                profession=None,
                password_hash=hashed,
            )
        except InvalidInputError as error:
            raise InvalidInputError(error.field.removeprefix("user."), error.problem) from None
    else:
        user = existing
    with uow:
        if uow.users.by_email(invitation.email) is None:
            user = uow.users.add(user)
        stored = uow.users.by_email(invitation.email)
        if stored is None or stored.id is None:  # pragma: no cover -- just stored
            raise RuntimeError("the family account was not stored")
        # Single use even with two tabs at once: only one UPDATE finds it unused.
        if not uow.family.use_invitation(invitation.token_digest, stored.id, now):
            uow.rollback()
            _usable(None, now)
        if not uow.family.is_linked(stored.id, invitation.child_id):
            # Each carer their own language (issue 17): the one the invitation was written in.
            uow.family.link(stored.id, invitation.child_id, now, invitation.language)
        write_audit(
            uow, stored, AuditAction.INVITATION_ACCEPTED, EntityType.CHILD, invitation.child_id, now
        )
        uow.commit()
    return stored
