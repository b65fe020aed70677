"""The web app's sign-in state: sessions, failed sign-ins, and the accounts' own security
state: single-use tokens (staff invitations, password resets, the second sign-in step), TOTP
secrets and recovery codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from hipcare.domain.records import User, utc_moment

__all__ = [
    "AccountRepository",
    "AccountToken",
    "SecondFactorSecret",
    "SessionRepository",
    "SignInFailureRepository",
    "SignOnIdentity",
    "TokenPurpose",
]


@dataclass(frozen=True)
class SignOnIdentity:
    """Who the hospital's identity provider says signed in, once the entry point's protocol
    client has checked its signed ID token: the provider (``issuer``), its lasting id for the
    person (``subject``), their email and name as the provider gives them (None when it gave
    none) and the names of their groups or roles there."""

    issuer: str
    subject: str
    email: str | None
    name: str | None
    groups: tuple[str, ...]


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser session as stored: the token's digest, never the token."""

    token_digest: str
    user_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", utc_moment(self.created_at, "session.created_at"))
        object.__setattr__(
            self, "last_seen_at", utc_moment(self.last_seen_at, "session.last_seen_at")
        )


class SessionRepository(Protocol):
    def add(self, session: WebSession) -> None: ...

    def signed_in(self, token_digest: str) -> tuple[WebSession, User] | None:
        """The session with this digest and its user, or None."""
        ...

    def touch(self, token_digest: str, at: datetime) -> None:
        """Record that the session was used at ``at``."""
        ...

    def delete(self, token_digest: str) -> None: ...


class SignInFailureRepository(Protocol):
    def add(self, account_key: str, client_address: str, at: datetime) -> None: ...

    def count_for_account(self, account_key: str, since: datetime) -> int: ...

    def count_for_address(self, client_address: str, since: datetime) -> int: ...

    def latest_for_account(self, account_key: str) -> datetime | None:
        """When the account's most recent failure was, or None."""
        ...

    def latest_for_address(self, client_address: str) -> datetime | None:
        """When the most recent failure from that address was, or None."""
        ...

    def clear_account(self, account_key: str) -> None:
        """Forget an account's failures (after it signs in)."""
        ...

    def delete_before(self, moment: datetime) -> None:
        """Forget failures older than ``moment`` (they no longer count)."""
        ...


class TokenPurpose(StrEnum):
    """What a single-use account token is for."""

    STAFF_INVITATION = "staff-invitation"
    PASSWORD_RESET = "password-reset"  # noqa: S105 -- a token purpose, not a password
    SECOND_FACTOR = "second-factor"
    """Between a right password and the TOTP code of a sign-in."""


@dataclass(frozen=True)
class AccountToken:
    """A single-use token as stored: the SHA-256 of the token, never the token itself."""

    token_digest: str
    user_id: int
    purpose: TokenPurpose
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    attempts: int = 0
    """Wrong codes typed against it (the second sign-in step ends after a few)."""

    def __post_init__(self) -> None:
        for name in ("created_at", "expires_at"):
            object.__setattr__(self, name, utc_moment(getattr(self, name), f"token.{name}"))
        if self.used_at is not None:
            object.__setattr__(self, "used_at", utc_moment(self.used_at, "token.used_at"))

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


@dataclass(frozen=True)
class SecondFactorSecret:
    """A user's TOTP secret (base32), confirmed or not, and the last time step accepted
    (a code of that step or an earlier one is refused: no reuse)."""

    secret: str
    confirmed_at: datetime | None = None
    last_step: int | None = None


class AccountRepository(Protocol):
    """The accounts' own security state, beside :class:`UserRepository`'s users."""

    def save_user(self, user: User) -> User:
        """Overwrite the stored user ``user.id``: name, role, profession, sites, surgeon
        profile and deactivation (not the password hash or the second factor)."""
        ...

    def set_password_hash(self, user_id: int, password_hash: str | None) -> None: ...

    def end_sessions(self, user_id: int, keep_token_digest: str | None = None) -> int:
        """Delete the user's sessions but ``keep_token_digest``; how many ended."""
        ...

    def add_token(self, token: AccountToken) -> None: ...

    def token(self, token_digest: str) -> AccountToken | None: ...

    def save_token(self, token: AccountToken) -> None:
        """Write back ``used_at`` and ``attempts`` of a stored token."""
        ...

    def void_tokens(self, user_id: int, purposes: frozenset[TokenPurpose], at: datetime) -> None:
        """Mark every unused token of the user for ``purposes`` used at ``at``."""
        ...

    def staff_invitation_open(self, user_id: int, now: datetime) -> bool:
        """Whether the user has an unused, unexpired staff invitation."""
        ...

    def second_factor(self, user_id: int) -> SecondFactorSecret | None: ...

    def set_second_factor(self, user_id: int, secret: SecondFactorSecret | None) -> None:
        """Store (or with None forget) the user's TOTP secret and its state."""
        ...

    def replace_recovery_codes(self, user_id: int, code_digests: frozenset[str]) -> None:
        """Forget the user's recovery codes and keep these (SHA-256 digests) instead."""
        ...

    def use_recovery_code(self, user_id: int, code_digest: str, at: datetime) -> bool:
        """Mark the unused code used; False when there is no such unused code."""
        ...

    def recovery_codes_left(self, user_id: int) -> int: ...
