"""SQLAlchemy storage of the web app's sign-in state: sessions, failed sign-ins, site audit,
and the accounts' security state (tokens, TOTP secrets, recovery codes).

Implements the repositories that :mod:`hipcare.services.ports.accounts` and
:mod:`hipcare.services.ports.audit` declare; :class:`hipcare.storage.SqlAlchemyUnitOfWork`
makes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, delete, func, literal, or_, select, union_all, update
from sqlalchemy.orm import Session

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditEntry, EntityType, User
from hipcare.services.ports.accounts import (
    AccountToken,
    SecondFactorSecret,
    TokenPurpose,
    WebSession,
)
from hipcare.services.ports.audit import AuditFilter, SiteAuditRow
from hipcare.storage import mapping
from hipcare.storage.tables import (
    AccountTokenRow,
    AuditRow,
    ChildRow,
    RadiographRow,
    RecoveryCodeRow,
    SignInFailureRow,
    SiteMembershipRow,
    UserRow,
    VisitRow,
    WebSessionRow,
)

__all__ = [
    "SqlAlchemyAccountRepository",
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
    UserRow.deactivated_at,
    UserRow.totp_confirmed_at,
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
        deactivated_at=row.deactivated_at,
        second_factor=row.totp_confirmed_at is not None,
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
        """The site's own entries, those of every record its children own (the child, their
        visits and their films) and those about its staff's accounts (staff administration,
        passwords, second factor).

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
        staff_ids = select(SiteMembershipRow.user_id.cast(String)).where(
            SiteMembershipRow.site_id == site_id
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
                    (AuditRow.entity_type == EntityType.USER) & AuditRow.entity_id.in_(staff_ids),
                )
            )
            .order_by(AuditRow.at.desc(), AuditRow.id.desc())
            .limit(limit)
        )
        return [mapping.audit_from_row(row) for row in rows]

    def search(self, site_id: str, filters: AuditFilter, limit: int) -> Sequence[SiteAuditRow]:
        """One query: the audit rows joined to a union of the site's records (child, visits,
        films) that names each record's child; the site's own rows have no child."""
        records = union_all(
            select(
                literal(EntityType.CHILD.value).label("entity_type"),
                ChildRow.id.cast(String).label("entity_id"),
                ChildRow.id.label("child_id"),
            ).where(ChildRow.site_id == site_id),
            select(
                literal(EntityType.VISIT.value),
                VisitRow.id.cast(String),
                VisitRow.child_id,
            )
            .join(ChildRow, ChildRow.id == VisitRow.child_id)
            .where(ChildRow.site_id == site_id),
            select(
                literal(EntityType.RADIOGRAPH.value),
                RadiographRow.id.cast(String),
                RadiographRow.child_id,
            )
            .join(ChildRow, ChildRow.id == RadiographRow.child_id)
            .where(ChildRow.site_id == site_id),
        ).subquery()
        query = (
            select(AuditRow, records.c.child_id)
            .outerjoin(
                records,
                (AuditRow.entity_type == records.c.entity_type)
                & (AuditRow.entity_id == records.c.entity_id),
            )
            .where(
                or_(
                    (AuditRow.entity_type == EntityType.SITE) & (AuditRow.entity_id == site_id),
                    records.c.child_id.is_not(None),
                )
            )
        )
        if filters.actor_id is not None:
            query = query.where(AuditRow.actor_id == filters.actor_id)
        if filters.child_id is not None:
            query = query.where(records.c.child_id == filters.child_id)
        if filters.action is not None:
            query = query.where(AuditRow.action == filters.action)
        if filters.since is not None:
            query = query.where(AuditRow.at >= filters.since)
        if filters.until is not None:
            query = query.where(AuditRow.at < filters.until)
        rows = self._session.execute(
            query.order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        )
        return [SiteAuditRow(mapping.audit_from_row(row), child_id) for row, child_id in rows]


def _token_from_row(row: AccountTokenRow) -> AccountToken:
    return AccountToken(
        token_digest=row.id,
        user_id=row.user_id,
        purpose=row.purpose,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        attempts=row.attempts,
    )


class SqlAlchemyAccountRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _user_row(self, user_id: int) -> UserRow:
        row = self._session.get(UserRow, user_id)
        if row is None:
            raise InvalidInputError("user.id", f"no user {user_id} is stored")
        return row

    def save_user(self, user: User) -> User:
        if user.id is None:
            raise InvalidInputError("user.id", "is missing; only a stored user can be saved")
        row = self._user_row(user.id)
        row.display_name = user.display_name
        row.role = user.role
        row.profession = user.profession
        row.surgeon_profile = user.surgeon_profile
        row.deactivated_at = user.deactivated_at
        kept = {membership.site_id: membership for membership in row.memberships}
        row.memberships = [
            kept.get(site_id) or SiteMembershipRow(site_id=site_id)
            for site_id in sorted(user.site_ids)
        ]
        self._session.flush()
        return mapping.user_from_row(row)

    def set_password_hash(self, user_id: int, password_hash: str | None) -> None:
        self._user_row(user_id).password_hash = password_hash
        self._session.flush()

    def end_sessions(self, user_id: int, keep_token_digest: str | None = None) -> int:
        statement = delete(WebSessionRow).where(WebSessionRow.user_id == user_id)
        if keep_token_digest is not None:
            statement = statement.where(WebSessionRow.id != keep_token_digest)
        result = self._session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    def add_token(self, token: AccountToken) -> None:
        self._session.add(
            AccountTokenRow(
                id=token.token_digest,
                user_id=token.user_id,
                purpose=token.purpose,
                created_at=token.created_at,
                expires_at=token.expires_at,
                used_at=token.used_at,
                attempts=token.attempts,
            )
        )
        self._session.flush()

    def token(self, token_digest: str) -> AccountToken | None:
        row = self._session.get(AccountTokenRow, token_digest)
        return None if row is None else _token_from_row(row)

    def save_token(self, token: AccountToken) -> None:
        self._session.execute(
            update(AccountTokenRow)
            .where(AccountTokenRow.id == token.token_digest)
            .values(used_at=token.used_at, attempts=token.attempts)
        )

    def void_tokens(self, user_id: int, purposes: frozenset[TokenPurpose], at: datetime) -> None:
        self._session.execute(
            update(AccountTokenRow)
            .where(
                AccountTokenRow.user_id == user_id,
                AccountTokenRow.purpose.in_(sorted(purposes)),
                AccountTokenRow.used_at.is_(None),
            )
            .values(used_at=at)
        )

    def staff_invitation_open(self, user_id: int, now: datetime) -> bool:
        found = self._session.scalar(
            select(func.count())
            .select_from(AccountTokenRow)
            .where(
                AccountTokenRow.user_id == user_id,
                AccountTokenRow.purpose == TokenPurpose.STAFF_INVITATION,
                AccountTokenRow.used_at.is_(None),
                AccountTokenRow.expires_at > now,
            )
        )
        return bool(found)

    def second_factor(self, user_id: int) -> SecondFactorSecret | None:
        row = self._user_row(user_id)
        if row.totp_secret is None:
            return None
        return SecondFactorSecret(
            secret=row.totp_secret,
            confirmed_at=row.totp_confirmed_at,
            last_step=row.totp_last_step,
        )

    def set_second_factor(self, user_id: int, secret: SecondFactorSecret | None) -> None:
        row = self._user_row(user_id)
        row.totp_secret = None if secret is None else secret.secret
        row.totp_confirmed_at = None if secret is None else secret.confirmed_at
        row.totp_last_step = None if secret is None else secret.last_step
        self._session.flush()

    def replace_recovery_codes(self, user_id: int, code_digests: frozenset[str]) -> None:
        self._session.execute(delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id))
        self._session.add_all(
            RecoveryCodeRow(user_id=user_id, code_digest=digest) for digest in sorted(code_digests)
        )
        self._session.flush()

    def use_recovery_code(self, user_id: int, code_digest: str, at: datetime) -> bool:
        # One statement that only an unused code passes: two sign-ins racing with the same
        # code cannot both use it.
        result = self._session.execute(
            update(RecoveryCodeRow)
            .where(
                RecoveryCodeRow.user_id == user_id,
                RecoveryCodeRow.code_digest == code_digest,
                RecoveryCodeRow.used_at.is_(None),
            )
            .values(used_at=at)
        )
        return bool(getattr(result, "rowcount", 0))

    def recovery_codes_left(self, user_id: int) -> int:
        return (
            self._session.scalar(
                select(func.count())
                .select_from(RecoveryCodeRow)
                .where(RecoveryCodeRow.user_id == user_id, RecoveryCodeRow.used_at.is_(None))
            )
            or 0
        )
