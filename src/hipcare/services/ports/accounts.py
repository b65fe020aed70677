"""The web app's sign-in state: sessions and failed sign-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hipcare.domain.records import User, utc_moment

__all__ = ["SessionRepository", "SignInFailureRepository"]


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
