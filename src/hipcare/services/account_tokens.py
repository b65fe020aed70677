"""Single-use account tokens: a staff invitation, a password reset, the second sign-in step.

The token (``secrets.token_urlsafe(32)``, 256 bits) goes into an emailed link or a cookie;
the database keeps only its SHA-256, so a copy of the database hands out no live link. A
token is used once, and not after ``expires_at`` (OWASP Forgot Password Cheat Sheet:
"single use and expire after an appropriate period").
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.accounts import AccountToken, TokenPurpose

__all__ = [
    "PASSWORD_RESET_VALID_FOR",
    "SECOND_FACTOR_STEP_VALID_FOR",
    "STAFF_INVITATION_VALID_FOR",
    "issue_token",
    "token_digest",
    "usable_token",
]

PASSWORD_RESET_VALID_FOR = timedelta(minutes=30)
"""A password reset link works for 30 minutes (issue 18)."""
STAFF_INVITATION_VALID_FOR = timedelta(days=7)
"""A staff invitation works for a week: a new colleague may not read email on day one
(a local choice; the site administrator can invite again)."""
SECOND_FACTOR_STEP_VALID_FOR = timedelta(minutes=5)
"""Between a right password and the authenticator code of one sign-in."""


def token_digest(token: str) -> str:
    """The SHA-256 (hex) of a token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    uow: UnitOfWork, user_id: int, purpose: TokenPurpose, *, now: datetime, valid_for: timedelta
) -> str:
    """A new token for ``user_id`` (inside the caller's unit of work; the caller commits).
    Older unused tokens of the same purpose stop working: only the newest link counts."""
    uow.accounts.void_tokens(user_id, frozenset({purpose}), now)
    token = secrets.token_urlsafe(32)
    uow.accounts.add_token(
        AccountToken(
            token_digest=token_digest(token),
            user_id=user_id,
            purpose=purpose,
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    return token


def usable_token(
    uow: UnitOfWork, token: object, purposes: frozenset[TokenPurpose], now: datetime
) -> AccountToken | None:
    """The stored token when it is one of ``purposes``, unused and unexpired; else None."""
    if not isinstance(token, str) or not token or len(token) > 128:
        return None
    found = uow.accounts.token(token_digest(token))
    if found is None or found.purpose not in purposes or not found.usable(now):
        return None
    return found
