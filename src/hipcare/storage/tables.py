"""The database tables, as typed SQLAlchemy 2 ORM classes (``Mapped[...]``).

One schema for SQLite and PostgreSQL: closed sets are VARCHAR columns with a CHECK
constraint (no PostgreSQL enum types, so adding a value is an ordinary migration), every
moment in time is a timezone-aware UTC ``datetime`` (:class:`UtcDateTime`), and constraints
have fixed names (``NAMING_CONVENTION``) so Alembic can alter them on SQLite in batch mode.

Change a table here, then add an Alembic revision under ``storage/migrations/versions``
(``docs/storage.md`` says how); ``tests/integration/storage`` fails while the two disagree.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hipcare.domain.diary import DiaryKind, Urgency
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.identity import AdministrativeSex
from hipcare.domain.messages import MessageSide
from hipcare.domain.outcomes import ComplicationGrade
from hipcare.domain.pathway import Sides, WeightBearing
from hipcare.domain.radiograph import Side
from hipcare.domain.records import (
    AuditAction,
    EntityType,
    OperationStatus,
    Profession,
    Role,
)

__all__ = [
    "NAMING_CONVENTION",
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
    "RadiographReadingRow",
    "RadiographRow",
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

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware moment, stored and returned in UTC; a naive datetime is refused.

    SQLite has no time-zone type and hands back naive values, so they are read as UTC (the
    only zone ever written); PostgreSQL's ``timestamptz`` comes back in the session's zone
    and is converted.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: hipcare stores timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _choice(enum_class: type[enum.Enum], name: str) -> SqlEnum:
    """A closed set stored as its values in a VARCHAR with a named CHECK constraint."""
    return SqlEnum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        # Room to grow: a longer new value then needs only a new CHECK, not a wider column.
        length=max(32, *(len(str(member.value)) for member in enum_class)),
        values_callable=lambda members: [str(member.value) for member in members],
        validate_strings=True,
    )


RECORD_ID = BigInteger().with_variant(Integer(), "sqlite")
"""The type of every id and every column that refers to one: 64 bits on PostgreSQL, as the
paths accept (migration 0010_p1); on SQLite an INTEGER primary key is the 64-bit rowid
already, and a BIGINT one would not number itself."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # ``Mapped[int]`` without a type: the foreign keys, which must match the ids they name.
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        date: Date(),
        int: RECORD_ID,
    }


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
    role: Mapped[Role] = mapped_column(_choice(Role, "role"))
    profession: Mapped[Profession | None] = mapped_column(_choice(Profession, "profession"))
    # An argon2 hash for the web app's sign-in (a later piece of work); never a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # A surgeon's preference profile id in content/surgeons.toml.
    surgeon_profile: Mapped[str | None] = mapped_column(String(64))
    # The OpenID provider's issuer and its subject (``sub``) for this person: what links a
    # sign-on to the account, never the email alone. Both null for a password-only account.
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))

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
    gmfcs: Mapped[GMFCS | None] = mapped_column(_choice(GMFCS, "gmfcs"))
    preferred_language: Mapped[str] = mapped_column(String(35))
    administrative_sex: Mapped[AdministrativeSex] = mapped_column(
        _choice(AdministrativeSex, "administrative_sex"), server_default="unknown"
    )
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
    side: Mapped[Side] = mapped_column(_choice(Side, "side"))
    migration_percentage_raw: Mapped[float | None] = mapped_column(Float)
    migration_percentage_reported: Mapped[float | None] = mapped_column(Float)
    acetabular_index_deg: Mapped[float | None] = mapped_column(Float)
    neck_shaft_angle_deg: Mapped[float | None] = mapped_column(Float)
    head_shaft_angle_deg: Mapped[float | None] = mapped_column(Float)


class OperationPlanRow(Base):
    __tablename__ = "operation_plans"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    sides: Mapped[Sides] = mapped_column(_choice(Sides, "sides"))
    # Procedure values in order, e.g. ["vdro", "dega"].
    procedures: Mapped[list[str]] = mapped_column(JSON)
    implant: Mapped[str] = mapped_column(String(200))
    plate_angle_deg: Mapped[float | None] = mapped_column(Float)
    surgeon_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    weight_bearing: Mapped[WeightBearing] = mapped_column(_choice(WeightBearing, "weight_bearing"))
    positioning_device: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="positioning_device")
    )
    surgery_date: Mapped[date | None]
    status: Mapped[OperationStatus] = mapped_column(_choice(OperationStatus, "status"))
    # The child's facts the care pathway needs (None until the pathway is started).
    wheelchair_user: Mapped[bool | None] = mapped_column(
        Boolean(create_constraint=True, name="wheelchair_user")
    )
    attends_school: Mapped[bool | None] = mapped_column(
        Boolean(create_constraint=True, name="attends_school")
    )
    sees_therapists: Mapped[bool | None] = mapped_column(
        Boolean(create_constraint=True, name="sees_therapists")
    )


class CarePlanItemRow(Base):
    __tablename__ = "care_plan_items"
    __table_args__ = (UniqueConstraint("operation_plan_id", "item_id"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    operation_plan_id: Mapped[int] = mapped_column(
        ForeignKey("operation_plans.id", ondelete="CASCADE")
    )
    item_id: Mapped[str] = mapped_column(String(100))
    due_date: Mapped[date]
    done_at: Mapped[datetime | None]
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(100))
    raised_at: Mapped[datetime]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None]


class AuditRow(Base):
    """Who did what to which record, when. Ids only: no names, birth dates or values.

    No foreign keys on purpose: the log must outlive the records and users it mentions.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    actor_id: Mapped[int] = mapped_column(RECORD_ID, index=True)
    action: Mapped[AuditAction] = mapped_column(_choice(AuditAction, "action"))
    entity_type: Mapped[EntityType] = mapped_column(_choice(EntityType, "entity_type"))
    entity_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


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
    entity_type: Mapped[EntityType] = mapped_column(_choice(EntityType, "entity_type"))
    entity_id: Mapped[int] = mapped_column(RECORD_ID)
    system: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))


# --- the family side (issue 5) ------------------------------------------------------------------


class FamilyLinkRow(Base):
    """A family member (a user with role ``family``) may see this child, and only this one."""

    __tablename__ = "family_links"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    child_id: Mapped[int] = mapped_column(
        ForeignKey("children.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime]
    language: Mapped[str | None] = mapped_column(String(35))
    """This carer's language (issue 17: each carer their own): the invitation's, then the
    one they last chose on the family pages; None: the child's."""


class FamilyInvitationRow(Base):
    """A single-use, expiring invitation; ``id`` is the SHA-256 of the emailed token."""

    __tablename__ = "family_invitations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    language: Mapped[str | None] = mapped_column(String(35))


class CalendarFeedRow(Base):
    """A private calendar-feed link of one family member for one child (token stored hashed)."""

    __tablename__ = "calendar_feeds"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(35))
    token: Mapped[str | None] = mapped_column(String(64))


class DiaryEntryRow(Base):
    """One home-diary entry; ``data`` holds the entry's fields (see ``hipcare.domain.diary``)."""

    __tablename__ = "diary_entries"
    __table_args__ = (Index("ix_diary_entries_child_id_recorded_at", "child_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    kind: Mapped[DiaryKind] = mapped_column(_choice(DiaryKind, "kind"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    urgency: Mapped[Urgency] = mapped_column(_choice(Urgency, "urgency"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))


class ChildMessageRow(Base):
    """One message of a child's thread between family and care team (issue 17): who wrote it
    (``side``, ``author_id``), when, when the other side first read it, and the claim and
    sending of the care team's "a message is waiting" email (family messages only; claimed
    by a compare-and-set on ``notice_claimed_at``)."""

    __tablename__ = "child_messages"
    __table_args__ = (Index("ix_child_messages_child_id_sent_at", "child_id", "sent_at"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    side: Mapped[MessageSide] = mapped_column(_choice(MessageSide, "side"))
    body: Mapped[str] = mapped_column(String(2000))
    sent_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    notice_claimed_at: Mapped[datetime | None]
    notice_sent_at: Mapped[datetime | None]


class DiaryPhotoRow(Base):
    """A photo added to a skin check (JPEG or PNG, size-limited), kept in the database."""

    __tablename__ = "diary_photos"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    diary_entry_id: Mapped[int] = mapped_column(
        ForeignKey("diary_entries.id", ondelete="CASCADE"), unique=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class PainDescriptorRow(Base):
    """A parent's own words for how their child shows pain in one r-FLACC category."""

    __tablename__ = "pain_descriptors"

    child_id: Mapped[int] = mapped_column(
        ForeignKey("children.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime]


class ReminderDeliveryRow(Base):
    """One reminder email: claimed (``sending``) before it is sent, then ``sent``.

    The unique (item, recipient, due date) key is what makes two runs at once send a
    reminder once: only one of them can insert the claim.
    """

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("care_plan_item_id", "recipient_id", "due_date"),
        CheckConstraint("status IN ('sending', 'sent')", name="status"),
    )

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    care_plan_item_id: Mapped[int] = mapped_column(
        ForeignKey("care_plan_items.id", ondelete="CASCADE")
    )
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer)


class RadiographFileRow(Base):
    """The bytes of an uploaded radiograph file, addressed by their SHA-256 (issue 6).

    Kept in the database, like every other piece of state (ADR 7: no state in a process or
    on one server's disk), and once per content: two uploads of the same file share a row.
    """

    __tablename__ = "radiograph_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class RadiographRow(Base):
    """A film kept with a child's record: what was read from the file, who stored it, when."""

    __tablename__ = "radiographs"
    __table_args__ = (
        CheckConstraint("image_format IN ('dicom', 'png', 'jpeg')", name="image_format"),
    )

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("radiograph_files.sha256"))
    image_format: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[int] = mapped_column(Integer)
    photometric_interpretation: Mapped[str] = mapped_column(String(32))
    pixel_spacing_row_mm: Mapped[float | None] = mapped_column(Float)
    pixel_spacing_column_mm: Mapped[float | None] = mapped_column(Float)
    pixel_spacing_source: Mapped[str | None] = mapped_column(String(32))
    window_centre: Mapped[float] = mapped_column(Float)
    window_width: Mapped[float] = mapped_column(Float)
    study_date: Mapped[date | None]
    film_date: Mapped[date]
    identifier_warnings: Mapped[list[Any]] = mapped_column(JSON)
    stored_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stored_at: Mapped[datetime]


class RadiographReadingRow(Base):
    """One clinician's landmarks on a film and the server's measures from them.

    ``document`` is the ``hipcare measure`` input (coordinates in the ORIGINAL film's pixels);
    ``measures`` its output as saved. One reading per clinician per film.
    """

    __tablename__ = "radiograph_readings"
    __table_args__ = (UniqueConstraint("radiograph_id", "measured_by"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    radiograph_id: Mapped[int] = mapped_column(
        ForeignKey("radiographs.id", ondelete="CASCADE"), index=True
    )
    measured_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    measured_at: Mapped[datetime]
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    measures: Mapped[dict[str, Any]] = mapped_column(JSON)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))


class SurveillanceStatusRow(Base):
    """A child's surveillance judgement as of ``computed_on``, kept so the worklist is a query.

    Written by the use cases that change what the judgement depends on (child registered or
    changed, visit recorded or imported); ``hipcare.services.surveillance_status`` says when a
    row is judged again (rules changed, judged after the day asked, ``judge_again_on``
    reached). The status on a given day is derived from the stored dates (docs/storage.md).

    ``(child_id, site_id)`` refers to the child's ``(id, site_id)`` with ON UPDATE CASCADE:
    the row moves with its child, so a site's rows are exactly its children's judgements and
    two counts tell whether one is missing.
    """

    __tablename__ = "surveillance_status"
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "site_id"],
            ["children.id", "children.site_id"],
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        Index("ix_surveillance_status_site_id_due_from", "site_id", "due_from"),
        Index("ix_surveillance_status_site_id_needs_referral", "site_id", "needs_referral"),
        # The stale-row check: a few index seeks that find nothing in the steady state.
        Index(
            "ix_surveillance_status_site_id_rules_version_computed_on",
            "site_id",
            "rules_version",
            "computed_on",
        ),
        Index("ix_surveillance_status_site_id_judge_again_on", "site_id", "judge_again_on"),
    )

    child_id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True, autoincrement=False)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    computed_on: Mapped[date]
    rules_version: Mapped[str] = mapped_column(String(64))
    next_review_rule: Mapped[str | None] = mapped_column(String(64))
    due_from: Mapped[date | None]
    due_by: Mapped[date | None]
    xray_at_next_review: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="xray_at_next_review")
    )
    needs_referral: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="needs_referral")
    )
    discharged: Mapped[bool] = mapped_column(Boolean(create_constraint=True, name="discharged"))
    outside_guideline: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="outside_guideline")
    )
    local_protocol: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="local_protocol")
    )
    # The rules' age limit, when the judgement was made before it.
    valid_until: Mapped[date | None]
    # The first day a fresh judgement could differ without a new record: the age limit or
    # the day after the review window closed (the plan then says "overdue"), if sooner.
    judge_again_on: Mapped[date | None]
    problem: Mapped[str | None] = mapped_column(String(1000))
    computed_at: Mapped[datetime]


class OperationOutcomeRow(Base):
    """What happened after one operation (issue 19): the stay, return to theatre, plate removal.

    One row per operation plan, replaced as a whole when a clinician records it again; the
    complications, readmissions and re-operations are its child rows. None: not recorded.
    """

    __tablename__ = "operation_outcomes"

    operation_plan_id: Mapped[int] = mapped_column(
        ForeignKey("operation_plans.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    admission_date: Mapped[date | None]
    discharge_date: Mapped[date | None]
    return_to_theatre: Mapped[bool | None] = mapped_column(
        Boolean(create_constraint=True, name="return_to_theatre")
    )
    plate_removal_date: Mapped[date | None]
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]


class OperationComplicationRow(Base):
    """A complication of an operation: the modified Clavien-Dindo-Sink grade (Dodwell et al.
    2018) a clinician chose, a short description, and its date."""

    __tablename__ = "operation_complications"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    operation_plan_id: Mapped[int] = mapped_column(
        ForeignKey("operation_outcomes.operation_plan_id", ondelete="CASCADE"), index=True
    )
    grade: Mapped[ComplicationGrade] = mapped_column(_choice(ComplicationGrade, "grade"))
    description: Mapped[str] = mapped_column(String(200))
    complication_date: Mapped[date]


class OperationReadmissionRow(Base):
    """A readmission after the operation's discharge (the report counts those within 30 days)."""

    __tablename__ = "operation_readmissions"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    operation_plan_id: Mapped[int] = mapped_column(
        ForeignKey("operation_outcomes.operation_plan_id", ondelete="CASCADE"), index=True
    )
    readmission_date: Mapped[date]


class OperationReoperationRow(Base):
    """A later operation on one of the operated hips (a hip failure, clinical spec §4)."""

    __tablename__ = "operation_reoperations"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    operation_plan_id: Mapped[int] = mapped_column(
        ForeignKey("operation_outcomes.operation_plan_id", ondelete="CASCADE"), index=True
    )
    side: Mapped[Side] = mapped_column(_choice(Side, "side"))
    reoperation_date: Mapped[date]
