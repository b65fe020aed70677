"""Passwords after sign-up: change (the current password first), reset by email, and the
first password of an invited member of staff.

- **Change**: the current password is checked first; the other sessions of the account end.
- **Reset** (OWASP Forgot Password Cheat Sheet): anyone may ask with an email address; the
  answer is the same whether or not an account has it, and the work a request does before the
  answer is the same too (the email is sent after the answer, by the caller). The link holds
  a single-use token valid for 30 minutes, stored as its SHA-256. Setting the new password
  ends every session of the account, and the token and any other reset link stop working.
- **First password**: a staff invitation's link (:mod:`hipcare.services.staff`) opens the
  same page; setting the password uses the token up.

Deactivated accounts get no reset link and cannot use one. Every change is audited (ids only).
Time is handed in (``now``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, AuditEntry, EntityType, User, utc_moment
from hipcare.services.account_tokens import (
    PASSWORD_RESET_VALID_FOR,
    issue_token,
    usable_token,
)
from hipcare.services.accounts import account_key, hash_password, password_matches
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.accounts import AccountToken, TokenPurpose

__all__ = [
    "PasswordLink",
    "ResetRequested",
    "change_password",
    "open_password_link",
    "password_reset_email",
    "request_password_reset",
    "set_password_from_link",
]

_LINK_PURPOSES = frozenset({TokenPurpose.PASSWORD_RESET, TokenPurpose.STAFF_INVITATION})


def _audit(uow: UnitOfWork, user_id: int, action: AuditAction, now: datetime) -> None:
    uow.audit.add(AuditEntry(user_id, action, EntityType.USER, str(user_id), now))


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(field, "is required")
    return value


def change_password(
    uow: UnitOfWork,
    user_id: int,
    current_password: object,
    new_password: object,
    *,
    keep_token_digest: str | None,
    now: datetime,
) -> int:
    """Change the password after checking the current one; the account's other sessions
    (all but ``keep_token_digest``, this browser's) end. Returns how many ended."""
    now = utc_moment(now, "now")
    current = _text(current_password, "current_password")
    new_hash = hash_password(_text(new_password, "new_password"))
    with uow:
        user = uow.users.get(user_id)
        if user is None or not user.active or not password_matches(user.password_hash, current):
            raise InvalidInputError("current_password", "is not right; type it again")
        uow.accounts.set_password_hash(user_id, new_hash)
        ended = uow.accounts.end_sessions(user_id, keep_token_digest)
        uow.accounts.void_tokens(user_id, frozenset({TokenPurpose.PASSWORD_RESET}), now)
        _audit(uow, user_id, AuditAction.PASSWORD_CHANGED, now)
        uow.commit()
    return ended


@dataclass(frozen=True)
class ResetRequested:
    """A reset link to email: the caller sends it after answering (same answer for all)."""

    email: str
    token: str


def request_password_reset(
    uow: UnitOfWork, email: object, *, now: datetime
) -> ResetRequested | None:
    """A reset token when ``email`` is an active account's with a password (or a pending
    staff invitation's), else None. The caller answers the same either way and emails the
    link after answering. Only the newest link works."""
    now = utc_moment(now, "now")
    key = account_key(email if isinstance(email, str) else "")
    with uow:
        user = uow.users.by_email(key) if key else None
        if user is None or user.id is None or not user.active:
            return None
        token = issue_token(
            uow, user.id, TokenPurpose.PASSWORD_RESET, now=now, valid_for=PASSWORD_RESET_VALID_FOR
        )
        _audit(uow, user.id, AuditAction.PASSWORD_RESET_REQUESTED, now)
        uow.commit()
    return ResetRequested(email=user.email, token=token)


@dataclass(frozen=True)
class PasswordLink:
    """What the page behind a reset or invitation link shows."""

    purpose: TokenPurpose
    user: User


def _link_user(uow: UnitOfWork, token: object, now: datetime) -> tuple[AccountToken, User] | None:
    found = usable_token(uow, token, _LINK_PURPOSES, now)
    if found is None:
        return None
    user = uow.users.get(found.user_id)
    if user is None or not user.active:
        return None
    return found, user


def open_password_link(uow: UnitOfWork, token: object, *, now: datetime) -> PasswordLink | None:
    """The link's purpose and account while it works; None when it is unknown, used,
    expired, or its account was deactivated."""
    now = utc_moment(now, "now")
    with uow:
        found = _link_user(uow, token, now)
    return None if found is None else PasswordLink(found[0].purpose, found[1])


def set_password_from_link(
    uow: UnitOfWork, token: object, new_password: object, *, now: datetime
) -> User:
    """Set the password through a reset or invitation link: the link is used up, every
    session of the account ends, every other reset link stops working.
    :class:`InvalidInputError` on ``token`` when the link no longer works."""
    now = utc_moment(now, "now")
    new_hash = hash_password(_text(new_password, "new_password"))
    with uow:
        found = _link_user(uow, token, now)
        if found is None:
            raise InvalidInputError("token", "this link has been used or has expired")
        stored, user = found
        assert user.id is not None  # noqa: S101 -- a stored user has an id
        uow.accounts.save_token(dataclasses.replace(stored, used_at=now))
        uow.accounts.void_tokens(user.id, _LINK_PURPOSES, now)
        uow.accounts.set_password_hash(user.id, new_hash)
        uow.accounts.end_sessions(user.id)
        action = (
            AuditAction.PASSWORD_SET
            if stored.purpose is TokenPurpose.STAFF_INVITATION
            else AuditAction.PASSWORD_RESET
        )
        _audit(uow, user.id, action, now)
        uow.commit()
    return user


def password_reset_email(requested: ResetRequested, link: str, sender: str) -> EmailMessage:
    """The reset email: the link and how long it works. Nothing else about the account."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = requested.email
    message["Subject"] = "hipcare: set a new password"
    minutes = int(PASSWORD_RESET_VALID_FOR.total_seconds() // 60)
    message.set_content(
        "Someone asked to set a new password for your hipcare account.\n\n"
        f"To choose a new password, open this link within {minutes} minutes:\n{link}\n\n"
        "The link works once. If you did not ask, you can ignore this email: "
        "your password stays the same.\n",
        charset="utf-8",
    )
    return message
