"""The web app's sign-in state: sessions and failed sign-ins."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from hipcare.domain.records import User

if TYPE_CHECKING:
    # The values stay beside their use cases; annotations only, so no import at run time.
    from hipcare.services.accounts import WebSession

__all__ = ["SessionRepository", "SignInFailureRepository"]


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

    def clear_account(self, account_key: str) -> None:
        """Forget an account's failures (after it signs in)."""
        ...

    def delete_before(self, moment: datetime) -> None:
        """Forget failures older than ``moment`` (they no longer count)."""
        ...
