"""The tables of signing in: web sessions, account tokens, recovery codes, failed sign-ins.

On the one ``Base.metadata`` of ``hipcare.storage.tables_base``; re-exported by
``hipcare.storage.tables``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from hipcare.services.ports.accounts import TokenPurpose
from hipcare.storage.tables_base import RECORD_ID, Base, choice_type

__all__ = [
    "AccountTokenRow",
    "RecoveryCodeRow",
    "SignInFailureRow",
    "WebSessionRow",
]


class WebSessionRow(Base):
    """A signed-in browser session of the web app. The token itself is never stored.

    ``id`` is the SHA-256 of the random session token the browser holds in its cookie, so a
    copy of the database does not hand out live sessions. ``csrf_token`` is bound to the
    session and must come back with every state-changing request.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class AccountTokenRow(Base):
    """A single-use token of an account: a staff invitation, a password reset, or the
    second step of a sign-in. ``id`` is the SHA-256 of the token the email or the browser
    holds; the token itself is never stored."""

    __tablename__ = "account_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(choice_type(TokenPurpose, "purpose"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCodeRow(Base):
    """One of a user's single-use second-factor recovery codes, as its SHA-256 digest."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class SignInFailureRow(Base):
    """One failed sign-in, counted per account and per client address to slow guessing.

    ``account_key`` is the email as typed (trimmed, lower-cased), known user or not, so the
    count cannot tell a guesser which accounts exist.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_account_key_at", "account_key", "at"),
        Index("ix_sign_in_failures_client_address_at", "client_address", "at"),
    )

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    account_key: Mapped[str] = mapped_column(String(320))
    client_address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
