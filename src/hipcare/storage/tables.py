"""The database tables, as typed SQLAlchemy 2 ORM classes (``Mapped[...]``).

One schema for SQLite and PostgreSQL: closed sets are VARCHAR columns with a CHECK
constraint (no PostgreSQL enum types, so adding a value is an ordinary migration), every
moment in time is a timezone-aware UTC ``datetime`` (:class:`UtcDateTime`), and constraints
have fixed names (``NAMING_CONVENTION``) so Alembic can alter them on SQLite in batch mode.

Change a table here, then add an Alembic revision under ``storage/migrations/versions``
(``docs/storage.md`` says how); ``tests/integration/storage`` fails while the two disagree.

This module keeps the sites, users, children, visits, audit and identifiers; the other tables
live by area in ``tables_<area>`` modules on the same ``Base`` (``tables_base``), and all are
re-exported here, so importing this module registers every table.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.identity import AdministrativeSex
from hipcare.domain.radiograph import Side
from hipcare.domain.records import (
    AuditAction,
    EntityType,
    Profession,
    Role,
)
from hipcare.storage.tables_accounts import (
    AccountTokenRow,
    RecoveryCodeRow,
    SignInFailureRow,
    WebSessionRow,
)
from hipcare.storage.tables_base import (
    NAMING_CONVENTION,
    RECORD_ID,
    Base,
    UtcDateTime,
    choice_type,
)
from hipcare.storage.tables_family import (
    CalendarFeedRow,
    ChildMessageRow,
    DiaryEntryRow,
    DiaryPhotoRow,
    FamilyInvitationRow,
    FamilyLinkRow,
    PainDescriptorRow,
    ReminderDeliveryRow,
)
from hipcare.storage.tables_operations import (
    AlertRow,
    CarePlanItemRow,
    OperationComplicationRow,
    OperationOutcomeRow,
    OperationPlanRow,
    OperationReadmissionRow,
    OperationReoperationRow,
)
from hipcare.storage.tables_radiographs import (
    RadiographFileRow,
    RadiographOverlayRow,
    RadiographReadingRow,
    RadiographRow,
)
from hipcare.storage.tables_surveillance import (
    SurveillanceStatusRow,
)

__all__ = [
    "NAMING_CONVENTION",
    "RECORD_ID",
    "AccountTokenRow",
    "AlertRow",
    "AuditRow",
    "Base",
    "CalendarFeedRow",
    "CarePlanItemRow",
    "ChildMessageRow",
    "ChildRow",
    "DiaryEntryRow",
    "DiaryPhotoRow",
    "ExternalIdentifierRow",
    "FamilyContactRow",
    "FamilyInvitationRow",
    "FamilyLinkRow",
    "HipMeasuresRow",
    "HospitalNumberRow",
    "OperationComplicationRow",
    "OperationOutcomeRow",
    "OperationPlanRow",
    "OperationReadmissionRow",
    "OperationReoperationRow",
    "PageGenerationRow",
    "PainDescriptorRow",
    "RadiographFileRow",
    "RadiographOverlayRow",
    "RadiographReadingRow",
    "RadiographRow",
    "RecoveryCodeRow",
    "ReminderDeliveryRow",
    "SignInFailureRow",
    "SiteMembershipRow",
    "SiteRow",
    "SurveillanceStatusRow",
    "UserRow",
    "UtcDateTime",
    "VisitRow",
    "WebSessionRow",
]


class SiteRow(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class UserRow(Base):
    __tablename__ = "users"
    # One account per person at an identity provider (single sign-on, ADR 16).
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(choice_type(Role, "role"))
    profession: Mapped[Profession | None] = mapped_column(choice_type(Profession, "profession"))
    # An argon2 hash for the web app's sign-in (a later piece of work); never a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # A surgeon's preference profile id in content/surgeons.toml.
    surgeon_profile: Mapped[str | None] = mapped_column(String(64))
    # The OpenID provider's issuer and its subject (``sub``) for this person: what links a
    # sign-on to the account, never the email alone. Both null for a password-only account.
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    # Set by a site administrator: the account cannot sign in (migration 0015_accounts).
    deactivated_at: Mapped[datetime | None]
    # The TOTP secret (base32, RFC 6238), never logged nor shown again after enrolment; it
    # counts only once confirmed with a code. ``totp_last_step``: the newest time step
    # accepted, so that no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    memberships: Mapped[list[SiteMembershipRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class SiteMembershipRow(Base):
    __tablename__ = "site_memberships"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)


class ChildRow(Base):
    __tablename__ = "children"
    __table_args__ = (
        CheckConstraint(
            "gestation_weeks IS NULL OR (gestation_weeks >= 20 AND gestation_weeks <= 45)",
            name="gestation_weeks_range",
        ),
        Index("ix_children_site_id_search_key", "site_id", "search_key"),
        # What surveillance_status's (child_id, site_id) foreign key refers to (migration 0009).
        Index("uq_children_id_site_id", "id", "site_id", unique=True),
    )

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    # Both names folded (accents dropped, case folded) so both databases search alike.
    search_key: Mapped[str] = mapped_column(String(401))
    date_of_birth: Mapped[date]
    gestation_weeks: Mapped[float | None] = mapped_column(Float)
    gmfcs: Mapped[GMFCS | None] = mapped_column(choice_type(GMFCS, "gmfcs"))
    preferred_language: Mapped[str] = mapped_column(String(35))
    administrative_sex: Mapped[AdministrativeSex] = mapped_column(
        choice_type(AdministrativeSex, "administrative_sex"), server_default="unknown"
    )
    # Set when a site administrator merged this duplicate into another child (0015_fhir).
    merged_into_id: Mapped[int | None] = mapped_column(RECORD_ID, ForeignKey("children.id"))
    # Moved up by database triggers on any change to the child's record (migration 0008,
    # ADR 10); never written by the app. A cached page of the child is valid while it stays.
    record_version: Mapped[int] = mapped_column(Integer, server_default="0")

    contacts: Mapped[list[FamilyContactRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="FamilyContactRow.position"
    )
    hospital_numbers: Mapped[list[HospitalNumberRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="HospitalNumberRow.position"
    )


class HospitalNumberRow(Base):
    """A hospital number (MRN) of a child, with the system that issued it (migration 0010).

    Not unique: registering a second child with a number already held at the site is refused
    as a likely duplicate unless a person confirms it is not one.
    """

    __tablename__ = "hospital_numbers"
    __table_args__ = (
        UniqueConstraint("child_id", "position"),
        Index("ix_hospital_numbers_system_value", "system", "value"),
    )

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    system: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(64))


class PageGenerationRow(Base):
    """One row whose ``generation`` database triggers move up when any user is added, changed
    or removed (migration 0008): pages show staff names, which belong to no child's record."""

    __tablename__ = "page_generation"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(Integer, server_default="0")


class FamilyContactRow(Base):
    __tablename__ = "family_contacts"
    __table_args__ = (UniqueConstraint("child_id", "position"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320))


class VisitRow(Base):
    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_child_id_visit_date", "child_id", "visit_date"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    visit_date: Mapped[date]
    xray: Mapped[bool] = mapped_column(Boolean(create_constraint=True, name="xray"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    # The film's landmark document (``hipcare measure`` input shape), when it was measured.
    film: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The clinical examination's findings (hip pain, abduction, obliquity ...), when recorded.
    examination: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    hips: Mapped[list[HipMeasuresRow]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="HipMeasuresRow.side"
    )


class HipMeasuresRow(Base):
    __tablename__ = "hip_measures"
    __table_args__ = (
        UniqueConstraint("visit_id", "side"),
        CheckConstraint(
            "migration_percentage_reported IS NULL OR "
            "(migration_percentage_reported >= 0 AND migration_percentage_reported <= 100)",
            name="migration_percentage_reported_range",
        ),
    )

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    side: Mapped[Side] = mapped_column(choice_type(Side, "side"))
    migration_percentage_raw: Mapped[float | None] = mapped_column(Float)
    migration_percentage_reported: Mapped[float | None] = mapped_column(Float)
    acetabular_index_deg: Mapped[float | None] = mapped_column(Float)
    neck_shaft_angle_deg: Mapped[float | None] = mapped_column(Float)
    head_shaft_angle_deg: Mapped[float | None] = mapped_column(Float)


class AuditRow(Base):
    """Who did what to which record, when. Ids only: no names, birth dates or values.

    No foreign keys on purpose: the log must outlive the records and users it mentions.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    actor_id: Mapped[int] = mapped_column(RECORD_ID, index=True)
    action: Mapped[AuditAction] = mapped_column(choice_type(AuditAction, "action"))
    entity_type: Mapped[EntityType] = mapped_column(choice_type(EntityType, "entity_type"))
    entity_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    # The command-line run that acted with no user (actor_id 0), e.g. "hipcare report".
    command: Mapped[str | None] = mapped_column(String(64))


class ExternalIdentifierRow(Base):
    """An identifier another system gave a child or a visit (FHIR import, issue 7).

    ``entity_id`` is the record's id in the table ``entity_type`` names; no foreign key, as
    one column points into two tables. One (kind, system, value) names one record.
    """

    __tablename__ = "external_identifiers"
    __table_args__ = (
        UniqueConstraint("entity_type", "system", "value"),
        Index("ix_external_identifiers_entity", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    entity_type: Mapped[EntityType] = mapped_column(choice_type(EntityType, "entity_type"))
    entity_id: Mapped[int] = mapped_column(RECORD_ID)
    system: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))
