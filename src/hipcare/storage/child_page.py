"""The child page's reads and its audit row as prebuilt Core statements (ADR 10).

Implements :class:`hipcare.services.ports.ChildPageQuery`. No ORM entities: the page
reads a dozen small result sets per view, and building ORM objects (with their ``selectin``
relationships) for them cost more than the queries. Every statement is built once here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import datetime

from sqlalchemy import Connection, Row, and_, bindparam, case, exists, func, insert, select

from hipcare.domain.identity import AdministrativeSex, HospitalNumber
from hipcare.domain.messages import MessageSide
from hipcare.domain.records import (
    Alert,
    AuditAction,
    CarePlanItemState,
    Child,
    EntityType,
    FamilyContact,
    HipMeasures,
    OperationPlan,
    Role,
    User,
    VisitRecord,
)
from hipcare.domain.referral import Referral
from hipcare.services.accounts import WebSession
from hipcare.services.family import Carer, StoredDiaryEntry
from hipcare.services.journey import ChildPageHeader
from hipcare.services.radiographs import Reading, StoredFilm
from hipcare.storage import mapping
from hipcare.storage.accounts import SESSION_USER_COLUMNS, session_and_user_from_row
from hipcare.storage.radiographs import film_from_row, reading_from_row
from hipcare.storage.referrals import ReferralRow, referral_from_row
from hipcare.storage.tables import (
    AlertRow,
    AuditRow,
    CarePlanItemRow,
    ChildMessageRow,
    ChildRow,
    DiaryEntryRow,
    DiaryPhotoRow,
    FamilyContactRow,
    FamilyLinkRow,
    HipMeasuresRow,
    HospitalNumberRow,
    OperationPlanRow,
    PageGenerationRow,
    PainDescriptorRow,
    RadiographReadingRow,
    RadiographRow,
    SiteMembershipRow,
    UserRow,
    VisitRow,
    WebSessionRow,
)

__all__ = ["SqlAlchemyChildPageQuery"]

_CARERS = (
    select(
        UserRow.id,
        UserRow.display_name,
        UserRow.email,
        FamilyLinkRow.language,
        FamilyLinkRow.created_at,
    )
    .join(UserRow, UserRow.id == FamilyLinkRow.user_id)
    .where(FamilyLinkRow.child_id == bindparam("child_id"), UserRow.role == Role.FAMILY)
    .order_by(FamilyLinkRow.created_at, UserRow.id)
)
_MESSAGE_COUNTS = select(
    func.count(ChildMessageRow.id),
    func.coalesce(
        func.sum(
            case(
                (
                    and_(
                        ChildMessageRow.side == MessageSide.FAMILY,
                        ChildMessageRow.read_at.is_(None),
                    ),
                    1,
                ),
                else_=0,
            )
        ),
        0,
    ),
).where(ChildMessageRow.child_id == bindparam("child_id"))

_HEADER = select(
    ChildRow.site_id,
    ChildRow.given_name,
    ChildRow.family_name,
    ChildRow.record_version,
    select(PageGenerationRow.generation).scalar_subquery().label("generation"),
    select(UserRow.role)
    .where(UserRow.id == bindparam("actor_id"))
    .scalar_subquery()
    .label("actor_role"),
    exists()
    .where(
        SiteMembershipRow.user_id == bindparam("actor_id"),
        SiteMembershipRow.site_id == ChildRow.site_id,
    )
    .label("actor_is_member"),
).where(ChildRow.id == bindparam("child_id"))
# The session, its user with their sites (a row per membership) and the child page's header,
# in one statement: the child is LEFT JOINed by id, so an unknown child still gives the session.
_SESSION_AND_HEADER = (
    select(
        *SESSION_USER_COLUMNS,
        SiteMembershipRow.site_id.label("member_of"),
        ChildRow.site_id,
        ChildRow.given_name,
        ChildRow.family_name,
        ChildRow.record_version,
        select(PageGenerationRow.generation).scalar_subquery().label("generation"),
    )
    .join(UserRow, UserRow.id == WebSessionRow.user_id)
    .outerjoin(SiteMembershipRow, SiteMembershipRow.user_id == UserRow.id)
    .outerjoin(ChildRow, ChildRow.id == bindparam("child_id"))
    .where(WebSessionRow.id == bindparam("digest"))
)
_AUDIT = insert(AuditRow.__table__)  # type: ignore[arg-type]  # a declarative Table
_CHILD = select(*ChildRow.__table__.columns).where(ChildRow.id == bindparam("child_id"))
_CONTACTS = (
    select(FamilyContactRow.name, FamilyContactRow.relationship, FamilyContactRow.phone)
    .add_columns(FamilyContactRow.email)
    .where(FamilyContactRow.child_id == bindparam("child_id"))
    .order_by(FamilyContactRow.position)
)
_HOSPITAL_NUMBERS = (
    select(HospitalNumberRow.system, HospitalNumberRow.value)
    .where(HospitalNumberRow.child_id == bindparam("child_id"))
    .order_by(HospitalNumberRow.position)
)
_VISITS = (
    select(*VisitRow.__table__.columns)
    .where(VisitRow.child_id == bindparam("child_id"))
    .order_by(VisitRow.visit_date, VisitRow.id)
)
_HIPS = (
    select(*HipMeasuresRow.__table__.columns)
    .join(VisitRow, VisitRow.id == HipMeasuresRow.visit_id)
    .where(VisitRow.child_id == bindparam("child_id"))
    .order_by(HipMeasuresRow.side)
)
_PLANS = (
    select(*OperationPlanRow.__table__.columns)
    .where(OperationPlanRow.child_id == bindparam("child_id"))
    .order_by(OperationPlanRow.id)
)
_ITEMS = (
    select(*CarePlanItemRow.__table__.columns)
    .join(OperationPlanRow, OperationPlanRow.id == CarePlanItemRow.operation_plan_id)
    .where(OperationPlanRow.child_id == bindparam("child_id"))
    .order_by(CarePlanItemRow.due_date, CarePlanItemRow.id)
)
_ALERTS = (
    select(*AlertRow.__table__.columns)
    .where(AlertRow.child_id == bindparam("child_id"))
    .order_by(AlertRow.raised_at, AlertRow.id)
)
_REFERRALS = (
    select(*ReferralRow.__table__.columns)
    .where(ReferralRow.child_id == bindparam("child_id"))
    .order_by(ReferralRow.referred_on, ReferralRow.id)
)
_FILMS = (
    select(*RadiographRow.__table__.columns)
    .where(RadiographRow.child_id == bindparam("child_id"))
    .order_by(RadiographRow.film_date.desc(), RadiographRow.id.desc())
)
_READINGS = (
    select(*RadiographReadingRow.__table__.columns)
    .join(RadiographRow, RadiographRow.id == RadiographReadingRow.radiograph_id)
    .where(RadiographRow.child_id == bindparam("child_id"))
    .order_by(RadiographReadingRow.measured_at, RadiographReadingRow.id)
)
_DIARY = (
    select(*DiaryEntryRow.__table__.columns, DiaryPhotoRow.id.label("photo_id"))
    .outerjoin(DiaryPhotoRow, DiaryPhotoRow.diary_entry_id == DiaryEntryRow.id)
    .where(DiaryEntryRow.child_id == bindparam("child_id"))
    .order_by(DiaryEntryRow.recorded_at.desc(), DiaryEntryRow.id.desc())
    .limit(bindparam("limit"))
)
_DESCRIPTORS = select(PainDescriptorRow.category, PainDescriptorRow.text).where(
    PainDescriptorRow.child_id == bindparam("child_id")
)
_NAMES = select(UserRow.id, UserRow.display_name).where(
    UserRow.id.in_(bindparam("user_ids", expanding=True))
)


def _hips(row: Row[tuple[object, ...]]) -> HipMeasures:
    return HipMeasures(
        side=row.side,
        migration_percentage_raw=row.migration_percentage_raw,
        migration_percentage_reported=row.migration_percentage_reported,
        acetabular_index_deg=row.acetabular_index_deg,
        neck_shaft_angle_deg=row.neck_shaft_angle_deg,
        head_shaft_angle_deg=row.head_shaft_angle_deg,
    )


class SqlAlchemyChildPageQuery:
    """Statements run on the unit of work's connection (``connection`` returns it): the same
    transaction, without the ORM's execute path (which costs more than these small statements
    themselves)."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        self._connection = connection

    def header(self, actor_id: int, child_id: int) -> ChildPageHeader | None:
        row = (
            self._connection()
            .execute(_HEADER, {"actor_id": actor_id, "child_id": child_id})
            .one_or_none()
        )
        if row is None:
            return None
        return ChildPageHeader(
            child_id=child_id,
            site_id=row.site_id,
            given_name=row.given_name,
            family_name=row.family_name,
            record_version=row.record_version,
            generation=row.generation or 0,
            actor_id=actor_id,
            actor_role=row.actor_role,
            actor_is_member=bool(row.actor_is_member),
        )

    def session_and_header(
        self, token_digest: str, child_id: int
    ) -> tuple[WebSession, User, ChildPageHeader | None] | None:
        rows = (
            self._connection()
            .execute(_SESSION_AND_HEADER, {"digest": token_digest, "child_id": child_id})
            .all()
        )
        if not rows:
            return None
        row = rows[0]
        site_ids = frozenset(found.member_of for found in rows if found.member_of is not None)
        session, user = session_and_user_from_row(row, token_digest, site_ids)
        header = None
        if row.site_id is not None:
            header = ChildPageHeader(
                child_id=child_id,
                site_id=row.site_id,
                given_name=row.given_name,
                family_name=row.family_name,
                record_version=row.record_version,
                generation=row.generation or 0,
                actor_id=row.user_id,
                actor_role=row.role,
                actor_is_member=row.site_id in site_ids,
            )
        return session, user, header

    def audit_read(self, actor_id: int, child_id: int, at: datetime) -> None:
        self._connection().execute(
            _AUDIT,
            {
                "actor_id": actor_id,
                "action": AuditAction.CHILD_READ,
                "entity_type": EntityType.CHILD,
                "entity_id": str(child_id),
                "at": at,
            },
        )

    def child(self, child_id: int) -> Child | None:
        row = self._connection().execute(_CHILD, {"child_id": child_id}).one_or_none()
        if row is None:
            return None
        contacts = self._connection().execute(_CONTACTS, {"child_id": child_id})
        numbers = self._connection().execute(_HOSPITAL_NUMBERS, {"child_id": child_id})
        return Child(
            id=row.id,
            site_id=row.site_id,
            given_name=row.given_name,
            family_name=row.family_name,
            date_of_birth=row.date_of_birth,
            gestation_weeks=row.gestation_weeks,
            gmfcs=row.gmfcs,
            preferred_language=row.preferred_language,
            contacts=tuple(
                FamilyContact(
                    name=c.name, relationship=c.relationship, phone=c.phone, email=c.email
                )
                for c in contacts
            ),
            administrative_sex=AdministrativeSex(row.administrative_sex),
            hospital_numbers=tuple(
                HospitalNumber(system=number.system, value=number.value) for number in numbers
            ),
            merged_into=row.merged_into_id,
        )

    def visits(self, child_id: int) -> Sequence[VisitRecord]:
        hips: dict[int, list[HipMeasures]] = defaultdict(list)
        for row in self._connection().execute(_HIPS, {"child_id": child_id}):
            hips[row.visit_id].append(_hips(row))
        return [
            VisitRecord(
                id=row.id,
                child_id=row.child_id,
                visit_date=row.visit_date,
                xray=row.xray,
                recorded_by=row.recorded_by,
                recorded_at=row.recorded_at,
                film=row.film,
                examination=row.examination,
                hips=tuple(hips.get(row.id, ())),
            )
            for row in self._connection().execute(_VISITS, {"child_id": child_id})
        ]

    def operation_plans(
        self, child_id: int
    ) -> tuple[Sequence[OperationPlan], dict[int, tuple[CarePlanItemState, ...]]]:
        plans = [
            mapping.operation_plan_from_row(row)  # type: ignore[arg-type]  # a Core row, same names
            for row in self._connection().execute(_PLANS, {"child_id": child_id})
        ]
        items: dict[int, list[CarePlanItemState]] = defaultdict(list)
        for row in self._connection().execute(_ITEMS, {"child_id": child_id}):
            items[row.operation_plan_id].append(mapping.care_plan_item_from_row(row))  # type: ignore[arg-type]  # as above
        return plans, {
            plan.id: tuple(items.get(plan.id, ())) for plan in plans if plan.id is not None
        }

    def alerts(self, child_id: int) -> Sequence[Alert]:
        return [
            mapping.alert_from_row(row)  # type: ignore[arg-type]  # a Core row, same names
            for row in self._connection().execute(_ALERTS, {"child_id": child_id})
        ]

    def referrals(self, child_id: int) -> Sequence[Referral]:
        return [
            referral_from_row(row)  # type: ignore[arg-type]  # a Core row, same names
            for row in self._connection().execute(_REFERRALS, {"child_id": child_id})
        ]

    def films(self, child_id: int) -> Sequence[tuple[StoredFilm, tuple[Reading, ...]]]:
        readings: dict[int, list[Reading]] = defaultdict(list)
        for row in self._connection().execute(_READINGS, {"child_id": child_id}):
            readings[row.radiograph_id].append(reading_from_row(row))  # type: ignore[arg-type]  # a Core row, same names
        return [
            (film_from_row(row), tuple(readings.get(row.id, ())))  # type: ignore[arg-type]  # as above
            for row in self._connection().execute(_FILMS, {"child_id": child_id})
        ]

    def diary(self, child_id: int, limit: int) -> Sequence[StoredDiaryEntry]:
        rows = self._connection().execute(_DIARY, {"child_id": child_id, "limit": limit})
        return [
            StoredDiaryEntry(
                id=row.id,
                child_id=row.child_id,
                recorded_by=row.recorded_by,
                recorded_at=row.recorded_at,
                kind=row.kind,
                data=row.data,
                urgency=row.urgency,
                alert_id=row.alert_id,
                has_photo=row.photo_id is not None,
            )
            for row in rows
        ]

    def pain_descriptors(self, child_id: int) -> dict[str, str]:
        rows = self._connection().execute(_DESCRIPTORS, {"child_id": child_id})
        return {row.category: row.text for row in rows}

    def display_names(self, user_ids: Collection[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        rows = self._connection().execute(_NAMES, {"user_ids": sorted(user_ids)})
        return {row.id: row.display_name for row in rows}

    def carers(self, child_id: int) -> Sequence[Carer]:
        rows = self._connection().execute(_CARERS, {"child_id": child_id})
        return [Carer(*row) for row in rows]

    def message_counts(self, child_id: int) -> tuple[int, int]:
        total, unread = self._connection().execute(_MESSAGE_COUNTS, {"child_id": child_id}).one()
        return int(total), int(unread)
