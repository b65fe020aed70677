"""Staff accounts, managed by site administrators (issue 18): invite by email, set role and
sites, deactivate a leaver (and take them back).

A site administrator manages only staff of their own sites: someone whose every site is one
of the administrator's. A member of staff who also works at another site is managed by
administrators of all their sites together (none of them alone may change or deactivate
them), so no administrator changes what another site decided. Family accounts are not staff.

An invitation makes the account without a password and a single-use link (valid for
:data:`~hipcare.services.account_tokens.STAFF_INVITATION_VALID_FOR`) to set one
(:func:`hipcare.services.passwords.set_password_from_link`); the caller emails it.
Deactivating ends the account's sessions at once and stops its links; the account cannot
sign in until an administrator reactivates it. An administrator cannot deactivate or demote
themself (a site must not lose its last administrator by a slip).

Every read of the staff list and every change is audited (ids only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    AuditAction,
    EntityType,
    Profession,
    Role,
    User,
    utc_moment,
)
from hipcare.services.access import PermissionDeniedError, deny, find_actor, write_audit
from hipcare.services.account_tokens import STAFF_INVITATION_VALID_FOR, issue_token
from hipcare.services.json_input import json_object, refuse_unknown_keys
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.accounts import TokenPurpose

__all__ = [
    "INVITATION_FIELDS",
    "UPDATE_FIELDS",
    "StaffInvitation",
    "StaffMember",
    "invite_staff",
    "list_staff",
    "staff_invitation_email",
    "update_staff",
]

INVITATION_FIELDS = ("email", "display_name", "role", "profession", "site_ids")
UPDATE_FIELDS = ("display_name", "role", "profession", "site_ids", "active")
_STAFF_ROLES = (Role.CLINICIAN, Role.SITE_ADMINISTRATOR)


@dataclass(frozen=True)
class StaffMember:
    """A row of the staff page: the account, and whether its invitation is still open."""

    user: User
    invitation_open: bool


@dataclass(frozen=True)
class StaffInvitation:
    """A new account and the token of its link (the caller emails it, then forgets it)."""

    user: User
    token: str


def _administrator(uow: UnitOfWork, actor_id: int) -> User:
    actor = find_actor(uow, actor_id)
    if actor.role is not Role.SITE_ADMINISTRATOR or not actor.active or not actor.site_ids:
        raise PermissionDeniedError("role", "only a site administrator manages staff accounts")
    return actor


def _manages(actor: User, user: User) -> bool:
    return user.role in _STAFF_ROLES and bool(user.site_ids) and user.site_ids <= actor.site_ids


def list_staff(uow: UnitOfWork, actor_id: int, *, now: datetime) -> list[StaffMember]:
    """The staff of the administrator's sites (those they manage, and colleagues who also
    work elsewhere), by name; the read is audited per site."""
    now = utc_moment(now, "now")
    with uow:
        actor = _administrator(uow, actor_id)
        found: dict[int, User] = {}
        for site_id in sorted(actor.site_ids):
            for user in uow.users.at_site(site_id):
                if user.id is not None and user.role in _STAFF_ROLES:
                    found[user.id] = user
            write_audit(uow, actor, AuditAction.STAFF_LISTED, EntityType.SITE, site_id, now)
        members = [
            StaffMember(user, uow.accounts.staff_invitation_open(user_id, now))
            for user_id, user in found.items()
        ]
        uow.commit()
    return sorted(members, key=lambda member: (member.user.display_name, member.user.id or 0))


def _role(value: object) -> Role:
    role = next((role for role in _STAFF_ROLES if role.value == value), None)
    if role is None:
        choices = ", ".join(role.value for role in _STAFF_ROLES)
        raise InvalidInputError("role", f"{value!r} is not a staff role; choose {choices}")
    return role


def _profession(value: object, role: Role) -> Profession | None:
    if role is not Role.CLINICIAN:
        if value not in (None, ""):
            raise InvalidInputError("profession", "only a clinician has a profession")
        return None
    profession = next((choice for choice in Profession if choice.value == value), None)
    if profession is None:
        choices = ", ".join(choice.value for choice in Profession)
        raise InvalidInputError("profession", f"{value!r} is not a profession; choose {choices}")
    return profession


def _sites(uow: UnitOfWork, actor: User, value: object, now: datetime) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple | frozenset | set):
        raise InvalidInputError("site_ids", "must be a list of site ids")
    sites = frozenset(value)
    if not sites:
        raise InvalidInputError("site_ids", "name at least one site")
    for site_id in sorted(sites, key=str):
        if not isinstance(site_id, str) or uow.sites.get(site_id) is None:
            raise InvalidInputError("site_ids", f"no site {site_id!r} is known")
        if site_id not in actor.site_ids:
            # Another site's staff are not this administrator's to change: refused and
            # audited as any refusal is (403), not a mistake in the form (issue 13).
            deny(
                uow,
                actor,
                EntityType.SITE,
                site_id,
                now,
                f"you are not an administrator of {site_id!r}",
            )
    return sites


def invite_staff(uow: UnitOfWork, actor_id: int, body: object, *, now: datetime) -> StaffInvitation:
    """A new member of staff at some of the administrator's sites, without a password, and
    the token of the link that sets it (``body``: :data:`INVITATION_FIELDS`)."""
    now = utc_moment(now, "now")
    document: Mapping[str, Any] = json_object(body, "body", "must be a JSON object")
    refuse_unknown_keys(document, INVITATION_FIELDS)
    with uow:
        actor = _administrator(uow, actor_id)
        role = _role(document.get("role"))
        email = document.get("email")
        if not isinstance(email, str):
            raise InvalidInputError("email", "is required")
        draft = User(
            email=email,
            display_name=document.get("display_name", ""),
            role=role,
            profession=_profession(document.get("profession"), role),
            site_ids=_sites(uow, actor, document.get("site_ids"), now),
        )
        if uow.users.by_email(draft.email) is not None:
            raise InvalidInputError("email", "already has an account")
        user = uow.users.add(draft)
        assert user.id is not None  # noqa: S101 -- a stored user has an id
        token = issue_token(
            uow,
            user.id,
            TokenPurpose.STAFF_INVITATION,
            now=now,
            valid_for=STAFF_INVITATION_VALID_FOR,
        )
        write_audit(uow, actor, AuditAction.STAFF_INVITED, EntityType.USER, user.id, now)
        uow.commit()
    return StaffInvitation(user=user, token=token)


def update_staff(
    uow: UnitOfWork, actor_id: int, user_id: int, body: object, *, now: datetime
) -> User:
    """Change a member of staff's name, role, profession or sites, or deactivate
    (``"active": false``) or reactivate them (``body``: some of :data:`UPDATE_FIELDS`).
    Deactivating ends their sessions and stops their links."""
    now = utc_moment(now, "now")
    document: Mapping[str, Any] = json_object(body, "body", "must be a JSON object")
    refuse_unknown_keys(document, UPDATE_FIELDS)
    if not document:
        raise InvalidInputError("body", f"name something to change: {', '.join(UPDATE_FIELDS)}")
    with uow:
        actor = _administrator(uow, actor_id)
        user = uow.users.get(user_id)
        if user is None or user.role not in _STAFF_ROLES:
            raise InvalidInputError("user_id", f"no member of staff with id {user_id}")
        if not _manages(actor, user):
            deny(
                uow,
                actor,
                EntityType.USER,
                user_id,
                now,
                "this member of staff also works at a site you do not administer",
            )
        role = _role(document["role"]) if "role" in document else user.role
        if "profession" in document or role is not user.role:
            profession = _profession(document.get("profession"), role)
        else:
            profession = user.profession
        active = document.get("active", user.active)
        if not isinstance(active, bool):
            raise InvalidInputError("active", "write true or false")
        if user.id == actor.id and (not active or role is not Role.SITE_ADMINISTRATOR):
            raise InvalidInputError(
                "active" if not active else "role",
                "you cannot deactivate or demote yourself; ask another administrator",
            )
        changed = dataclasses.replace(
            user,
            display_name=document.get("display_name", user.display_name),
            role=role,
            profession=profession,
            surgeon_profile=user.surgeon_profile if profession is Profession.SURGEON else None,
            site_ids=(
                _sites(uow, actor, document["site_ids"], now)
                if "site_ids" in document
                else user.site_ids
            ),
            deactivated_at=(user.deactivated_at or now) if not active else None,
        )
        saved = uow.accounts.save_user(changed)
        if user.active and not active:
            uow.accounts.end_sessions(user_id)
            uow.accounts.void_tokens(user_id, frozenset(TokenPurpose), now)
            write_audit(uow, actor, AuditAction.STAFF_DEACTIVATED, EntityType.USER, user_id, now)
        elif not user.active and active:
            write_audit(uow, actor, AuditAction.STAFF_REACTIVATED, EntityType.USER, user_id, now)
        if dataclasses.replace(changed, deactivated_at=user.deactivated_at) != user:
            write_audit(uow, actor, AuditAction.STAFF_UPDATED, EntityType.USER, user_id, now)
        uow.commit()
    return saved


def staff_invitation_email(
    invitation: StaffInvitation, link: str, hospital: str, sender: str
) -> EmailMessage:
    """The invitation email: the hospital, the link, how long it works. No patient data."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = invitation.user.email
    message["Subject"] = "hipcare: your staff account"
    days = STAFF_INVITATION_VALID_FOR.days
    message.set_content(
        f"You have been given a hipcare account at {hospital}.\n\n"
        f"Open this link within {days} days to choose your password:\n{link}\n\n"
        "The link works once. If you did not expect this email, tell your site "
        "administrator.\n",
        charset="utf-8",
    )
    return message
