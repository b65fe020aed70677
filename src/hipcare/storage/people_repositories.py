"""SQLAlchemy repositories of the people and places: sites and users."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    Site,
    User,
)
from hipcare.storage import mapping
from hipcare.storage.stored_ids import stored_id
from hipcare.storage.tables import (
    SiteMembershipRow,
    SiteRow,
    UserRow,
)

__all__ = [
    "SqlAlchemySiteRepository",
    "SqlAlchemyUserRepository",
]


class SqlAlchemySiteRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, site: Site) -> Site:
        self._session.add(mapping.site_row(site))
        self._session.flush()
        return site

    def get(self, site_id: str) -> Site | None:
        row = self._session.get(SiteRow, site_id)
        return None if row is None else mapping.site_from_row(row)

    def all(self) -> Sequence[Site]:
        rows = self._session.scalars(select(SiteRow).order_by(SiteRow.id))
        return [mapping.site_from_row(row) for row in rows]


class SqlAlchemyUserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, user: User) -> User:
        row = mapping.user_row(user)
        self._session.add(row)
        self._session.flush()
        return mapping.user_from_row(row)

    def get(self, user_id: int) -> User | None:
        row = self._session.get(UserRow, user_id)
        return None if row is None else mapping.user_from_row(row)

    def by_email(self, email: str) -> User | None:
        row = self._session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
        return None if row is None else mapping.user_from_row(row)

    def at_site(self, site_id: str) -> Sequence[User]:
        rows = self._session.scalars(
            select(UserRow)
            .join(SiteMembershipRow, SiteMembershipRow.user_id == UserRow.id)
            .where(SiteMembershipRow.site_id == site_id)
            .order_by(UserRow.display_name, UserRow.id)
        )
        return [mapping.user_from_row(row) for row in rows]

    def by_sign_on(self, issuer: str, subject: str) -> User | None:
        row = self._session.scalar(
            select(UserRow).where(UserRow.oidc_issuer == issuer, UserRow.oidc_subject == subject)
        )
        return None if row is None else mapping.user_from_row(row)

    def link_sign_on(self, user_id: int, issuer: str, subject: str) -> None:
        row = self._session.get(UserRow, user_id)
        if row is None:
            raise InvalidInputError("user.id", f"no user {user_id} is stored")
        row.oidc_issuer = issuer
        row.oidc_subject = subject
        self._session.flush()

    def save(self, user: User) -> User:
        row = self._session.get(UserRow, stored_id(user.id, "user"))
        if row is None:
            raise InvalidInputError("user.id", f"no user {user.id} is stored")
        row.email = user.email
        row.display_name = user.display_name
        row.role = user.role
        row.profession = user.profession
        row.surgeon_profile = user.surgeon_profile
        kept = {membership.site_id: membership for membership in row.memberships}
        row.memberships = [
            kept.get(site_id) or SiteMembershipRow(site_id=site_id)
            for site_id in sorted(user.site_ids)
        ]
        self._session.flush()
        return mapping.user_from_row(row)
