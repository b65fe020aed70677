"""SQLAlchemy storage of the web app's sign-in state: sessions, failed sign-ins, site audit.

Implements the repositories that :mod:`hipcare.services.ports.accounts` and
:mod:`hipcare.services.ports.audit` declare; :class:`hipcare.storage.SqlAlchemyUnitOfWork`
makes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from hipcare.domain.records import AuditEntry, EntityType, User
from hipcare.services.accounts import WebSession
from hipcare.storage import mapping
from hipcare.storage.tables import (
    AuditRow,
    ChildRow,
    RadiographRow,
    SignInFailureRow,
    SiteMembershipRow,
    UserRow,
    VisitRow,
    WebSessionRow,
)

__all__ = [
    "SqlAlchemySessionRepository",
    "SqlAlchemySignInFailureRepository",
    "SqlAlchemySiteAuditQuery",
]


SESSION_USER_COLUMNS = (
    WebSessionRow.user_id,
    WebSessionRow.csrf_token,
    WebSessionRow.created_at,
    WebSessionRow.last_seen_at,
    UserRow.email,
    UserRow.display_name,
    UserRow.role,
    UserRow.profession,
    UserRow.password_hash,
    UserRow.surgeon_profile,
)
"""The columns every session lookup selects; :func:`session_and_user_from_row` reads them."""

# The session, its user and the user's sites in one statement: a row per membership (one
# row with a NULL site for a user of no site, such as a family account).
_SIGNED_IN = (
    select(
        *SESSION_USER_COLUMNS,
        SiteMembershipRow.site_id,
    )
    .join(UserRow, UserRow.id == WebSessionRow.user_id)
    .outerjoin(SiteMembershipRow, SiteMembershipRow.user_id == UserRow.id)
    .where(WebSessionRow.id == bindparam("digest"))
)


def session_and_user_from_row(
    row: Any, token_digest: str, site_ids: frozenset[str] = frozenset()
) -> tuple[WebSession, User]:
    """The web session and its user from one row of a session-lookup statement (one that
    selects :data:`SESSION_USER_COLUMNS`), with the user's ``site_ids`` read beside it."""
    session = WebSession(
        token_digest=token_digest,
        user_id=row.user_id,
        csrf_token=row.csrf_token,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
    )
    user = User(
        id=row.user_id,
        email=row.email,
        display_name=row.display_name,
        role=row.role,
        profession=row.profession,
        password_hash=row.password_hash,
        surgeon_profile=row.surgeon_profile,
        site_ids=site_ids,
    )
    return session, user


class SqlAlchemySessionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, web_session: WebSession) -> None:
        self._session.add(
            WebSessionRow(
                id=web_session.token_digest,
                user_id=web_session.user_id,
                csrf_token=web_session.csrf_token,
                created_at=web_session.created_at,
                last_seen_at=web_session.last_seen_at,
            )
        )
        self._session.flush()

    def signed_in(self, token_digest: str) -> tuple[WebSession, User] | None:
        # Runs on every request: one prepared column query rather than ORM objects, on the
        # connection (a Core statement through the session pays for the ORM's execute path).
        rows = self._session.connection().execute(_SIGNED_IN, {"digest": token_digest}).all()
        if not rows:
            return None
        site_ids = frozenset(found.site_id for found in rows if found.site_id is not None)
        return session_and_user_from_row(rows[0], token_digest, site_ids)

    def touch(self, token_digest: str, at: datetime) -> None:
        self._session.execute(
            update(WebSessionRow).where(WebSessionRow.id == token_digest).values(last_seen_at=at)
        )

    def delete(self, token_digest: str) -> None:
        self._session.execute(delete(WebSessionRow).where(WebSessionRow.id == token_digest))


class SqlAlchemySignInFailureRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, account_key: str, client_address: str, at: datetime) -> None:
        self._session.add(
            SignInFailureRow(account_key=account_key, client_address=client_address, at=at)
        )
        self._session.flush()

    def count_for_account(self, account_key: str, since: datetime) -> int:
        return (
            self._session.scalar(
                select(func.count())
                .select_from(SignInFailureRow)
                .where(SignInFailureRow.account_key == account_key, SignInFailureRow.at > since)
            )
            or 0
        )

    def count_for_address(self, client_address: str, since: datetime) -> int:
        return (
            self._session.scalar(
                select(func.count())
                .select_from(SignInFailureRow)
                .where(
                    SignInFailureRow.client_address == client_address, SignInFailureRow.at > since
                )
            )
            or 0
        )

    def latest_for_account(self, account_key: str) -> datetime | None:
        return self._session.scalar(
            select(func.max(SignInFailureRow.at)).where(SignInFailureRow.account_key == account_key)
        )

    def latest_for_address(self, client_address: str) -> datetime | None:
        return self._session.scalar(
            select(func.max(SignInFailureRow.at)).where(
                SignInFailureRow.client_address == client_address
            )
        )

    def clear_account(self, account_key: str) -> None:
        self._session.execute(
            delete(SignInFailureRow).where(SignInFailureRow.account_key == account_key)
        )

    def delete_before(self, moment: datetime) -> None:
        self._session.execute(delete(SignInFailureRow).where(SignInFailureRow.at <= moment))


class SqlAlchemySiteAuditQuery:
    def __init__(self, session: Session) -> None:
        self._session = session

    def for_site(self, site_id: str, limit: int) -> Sequence[AuditEntry]:
        """The site's own entries and those of every record its children own: the child,
        their visits and their films (every entity type but SITE is a child's record).

        ``entity_id`` is text: the record ids are cast to text in SQL to compare with it.
        """
        child_ids = select(ChildRow.id.cast(String)).where(ChildRow.site_id == site_id)
        visit_ids = (
            select(VisitRow.id.cast(String))
            .join(ChildRow, ChildRow.id == VisitRow.child_id)
            .where(ChildRow.site_id == site_id)
        )
        film_ids = (
            select(RadiographRow.id.cast(String))
            .join(ChildRow, ChildRow.id == RadiographRow.child_id)
            .where(ChildRow.site_id == site_id)
        )
        rows = self._session.scalars(
            select(AuditRow)
            .where(
                or_(
                    (AuditRow.entity_type == EntityType.SITE) & (AuditRow.entity_id == site_id),
                    (AuditRow.entity_type == EntityType.CHILD) & AuditRow.entity_id.in_(child_ids),
                    (AuditRow.entity_type == EntityType.VISIT) & AuditRow.entity_id.in_(visit_ids),
                    (AuditRow.entity_type == EntityType.RADIOGRAPH)
                    & AuditRow.entity_id.in_(film_ids),
                )
            )
            .order_by(AuditRow.at.desc(), AuditRow.id.desc())
            .limit(limit)
        )
        return [mapping.audit_from_row(row) for row in rows]
