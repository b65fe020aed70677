"""SQLAlchemy storage of the family side: links, invitations, feeds, diary, reminder claims.

Implements :class:`hipcare.services.ports.FamilyRepository`
(:class:`hipcare.storage.SqlAlchemyUnitOfWork` makes it). The links, the family pages' reads,
invitations and calendar feeds are here; the diary is :mod:`hipcare.storage.family_diary` and
the reminders :mod:`hipcare.storage.family_reminders`, whose classes the repository is made of.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from hipcare.domain.records import (
    AuditAction,
    Child,
    EntityType,
    OperationStatus,
    Role,
    User,
)
from hipcare.services.accounts import WebSession
from hipcare.services.family import (
    CalendarFeed,
    Carer,
    Invitation,
    LinkedChild,
    StartedPlan,
)
from hipcare.storage import mapping
from hipcare.storage.accounts import (
    SESSION_USER_COLUMNS,
    session_and_user_from_row,
)
from hipcare.storage.family_diary import SqlAlchemyFamilyDiary
from hipcare.storage.family_reminders import SqlAlchemyFamilyReminders
from hipcare.storage.tables import (
    AuditRow,
    CalendarFeedRow,
    CarePlanItemRow,
    ChildRow,
    FamilyInvitationRow,
    FamilyLinkRow,
    OperationPlanRow,
    PageGenerationRow,
    UserRow,
    WebSessionRow,
)

__all__ = ["SqlAlchemyFamilyRepository"]


def _invitation(row: FamilyInvitationRow) -> Invitation:
    return Invitation(
        token_digest=row.id,
        child_id=row.child_id,
        email=row.email,
        invited_by=row.invited_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        accepted_at=row.accepted_at,
        accepted_by=row.accepted_by,
        language=row.language,
    )


def _feed(row: CalendarFeedRow) -> CalendarFeed:
    return CalendarFeed(
        row.id,
        row.user_id,
        row.child_id,
        row.created_at,
        row.revoked_at,
        language=row.language,
        token=row.token,
    )


# The family pages' reads, built once (Core statements: no ORM objects, no per-call compiling).
_CHILD_COLUMNS = (
    ChildRow.id,
    ChildRow.site_id,
    ChildRow.given_name,
    ChildRow.family_name,
    ChildRow.date_of_birth,
    ChildRow.gestation_weeks,
    ChildRow.gmfcs,
    ChildRow.preferred_language,
    exists()
    .where(
        CalendarFeedRow.user_id == FamilyLinkRow.user_id,
        CalendarFeedRow.child_id == FamilyLinkRow.child_id,
        CalendarFeedRow.revoked_at.is_(None),
    )
    .label("has_calendar"),
    ChildRow.record_version,
    select(PageGenerationRow.generation)
    .where(PageGenerationRow.id == 1)
    .scalar_subquery()
    .label("page_generation"),
)
# The session, its user and (when linked) the child, in one statement: the today page's read.
_SESSION_AND_LINKED_CHILD = (
    select(
        *SESSION_USER_COLUMNS,
        *_CHILD_COLUMNS,
    )
    .select_from(WebSessionRow)
    .join(UserRow, UserRow.id == WebSessionRow.user_id)
    .outerjoin(
        FamilyLinkRow,
        and_(
            FamilyLinkRow.user_id == WebSessionRow.user_id,
            FamilyLinkRow.child_id == bindparam("child_id"),
        ),
    )
    .outerjoin(ChildRow, ChildRow.id == FamilyLinkRow.child_id)
    .where(WebSessionRow.id == bindparam("digest"))
)
_LINKED_CHILD = (
    select(*_CHILD_COLUMNS)
    .join(FamilyLinkRow, FamilyLinkRow.child_id == ChildRow.id)
    .where(FamilyLinkRow.user_id == bindparam("user_id"), ChildRow.id == bindparam("child_id"))
)
_NEWEST_STARTED_OPERATION = (
    select(
        OperationPlanRow.id,
        OperationPlanRow.child_id,
        OperationPlanRow.sides,
        OperationPlanRow.procedures,
        OperationPlanRow.implant,
        OperationPlanRow.plate_angle_deg,
        OperationPlanRow.surgeon_id,
        OperationPlanRow.weight_bearing,
        OperationPlanRow.positioning_device,
        OperationPlanRow.surgery_date,
        OperationPlanRow.status,
        OperationPlanRow.wheelchair_user,
        OperationPlanRow.attends_school,
        OperationPlanRow.sees_therapists,
        OperationPlanRow.pathway_started_on,
        OperationPlanRow.postponed_from,
        OperationPlanRow.postponed_at,
        OperationPlanRow.day_of_surgery,
        UserRow.surgeon_profile,
    )
    .outerjoin(UserRow, UserRow.id == OperationPlanRow.surgeon_id)
    .where(
        OperationPlanRow.child_id == bindparam("child_id"),
        OperationPlanRow.status != OperationStatus.CANCELLED,
        exists().where(CarePlanItemRow.operation_plan_id == OperationPlanRow.id),
    )
    .order_by(OperationPlanRow.id.desc())
    .limit(1)
)
_AUDIT = insert(AuditRow.__table__)  # type: ignore[arg-type]  # a declarative Table
_ITEM_STATES = select(CarePlanItemRow.item_id, CarePlanItemRow.done_at).where(
    CarePlanItemRow.operation_plan_id == bindparam("operation_plan_id")
)


def _linked_child(row: Any) -> LinkedChild:
    child = Child(
        id=row.id,
        site_id=row.site_id,
        given_name=row.given_name,
        family_name=row.family_name,
        date_of_birth=row.date_of_birth,
        gestation_weeks=row.gestation_weeks,
        gmfcs=row.gmfcs,
        preferred_language=row.preferred_language,
    )
    return LinkedChild(
        child=child,
        has_calendar=bool(row.has_calendar),
        record_version=row.record_version,
        page_generation=row.page_generation,  # its one row is made by migration 0008
    )


class SqlAlchemyFamilyRepository(SqlAlchemyFamilyDiary, SqlAlchemyFamilyReminders):
    """The family side's storage. The "today" page's reads and its audit row run as Core
    statements on ``connection()``; everything else uses the ORM session ``orm_session()``,
    which a connection unit of work makes only when it is first needed. The diary and the
    reminders are :mod:`hipcare.storage.family_diary` and :mod:`hipcare.storage.family_reminders`.
    """

    # links
    def link(self, user_id: int, child_id: int, at: datetime, language: str | None = None) -> None:
        self._session.add(
            FamilyLinkRow(user_id=user_id, child_id=child_id, created_at=at, language=language)
        )
        self._session.flush()

    def members(self, child_id: int) -> Sequence[int]:
        """The ids of the family accounts linked to the child, in id order."""
        rows = self._session.scalars(
            select(FamilyLinkRow.user_id)
            .where(FamilyLinkRow.child_id == child_id)
            .order_by(FamilyLinkRow.user_id)
        )
        return list(rows)

    def carers(self, child_id: int) -> Sequence[Carer]:
        rows = self._session.execute(
            select(
                UserRow.id,
                UserRow.display_name,
                UserRow.email,
                FamilyLinkRow.language,
                FamilyLinkRow.created_at,
            )
            .join(UserRow, UserRow.id == FamilyLinkRow.user_id)
            .where(FamilyLinkRow.child_id == child_id, UserRow.role == Role.FAMILY)
            .order_by(FamilyLinkRow.created_at, UserRow.id)
        )
        return [Carer(*row) for row in rows]

    def carer_language(self, user_id: int) -> str | None:
        return self._session.scalars(
            select(FamilyLinkRow.language)
            .where(FamilyLinkRow.user_id == user_id, FamilyLinkRow.language.is_not(None))
            .order_by(FamilyLinkRow.created_at.desc())
            .limit(1)
        ).first()

    def set_carer_language(self, user_id: int, language: str) -> int:
        result = self._session.execute(
            update(FamilyLinkRow)
            .where(
                FamilyLinkRow.user_id == user_id,
                or_(FamilyLinkRow.language.is_(None), FamilyLinkRow.language != language),
            )
            .values(language=language)
        )
        return int(getattr(result, "rowcount", 0))

    def children_of(self, user_id: int) -> Sequence[int]:
        return list(
            self._session.scalars(
                select(FamilyLinkRow.child_id)
                .where(FamilyLinkRow.user_id == user_id)
                .order_by(FamilyLinkRow.child_id)
            )
        )

    def is_linked(self, user_id: int, child_id: int) -> bool:
        return self._session.get(FamilyLinkRow, (user_id, child_id)) is not None

    def linked_child(self, user_id: int, child_id: int) -> LinkedChild | None:
        """The child, in one query, if ``user_id`` is linked to it (without its contacts),
        with whether that member has a live calendar link for it, the record's version and
        the page generation (ADR 10)."""
        # The connection, not the session: a Core statement skips the ORM's execute path.
        row = (
            self._connection()
            .execute(_LINKED_CHILD, {"user_id": user_id, "child_id": child_id})
            .first()
        )
        return None if row is None else _linked_child(row)

    def session_and_linked_child(
        self, token_digest: str, child_id: int
    ) -> tuple[WebSession, User, LinkedChild | None] | None:
        """The session with this digest and its user, and the child if that user is linked to
        it, in one query; None for an unknown session. The user's site memberships are not
        read (a family account has none): :func:`hipcare.services.family.open_family_today`
        reads a staff account again in full."""
        row = (
            self._connection()
            .execute(_SESSION_AND_LINKED_CHILD, {"digest": token_digest, "child_id": child_id})
            .first()
        )
        if row is None:
            return None
        session, user = session_and_user_from_row(row, token_digest)
        return session, user, None if row.id is None else _linked_child(row)

    def audit_plan_read(self, actor_id: int, child_id: int, at: datetime) -> None:
        """The ``care_plan.read`` audit row of a view of the child's plan (one Core insert)."""
        self._connection().execute(
            _AUDIT,
            {
                "actor_id": actor_id,
                "action": AuditAction.CARE_PLAN_READ,
                "entity_type": EntityType.CHILD,
                "entity_id": str(child_id),
                "at": at,
            },
        )

    def started_plan(self, child_id: int) -> StartedPlan | None:
        """The newest operation plan of the child, not cancelled, whose pathway was started
        (it has stored items), with its surgeon's profile id and its items' states."""
        connection = self._connection()
        row = connection.execute(_NEWEST_STARTED_OPERATION, {"child_id": child_id}).first()
        if row is None:
            return None
        operation = mapping.operation_plan_from_row(row)  # type: ignore[arg-type]  # a Core row, same names
        items = connection.execute(_ITEM_STATES, {"operation_plan_id": row.id}).all()
        return StartedPlan(
            operation=operation,
            surgeon_profile=row.surgeon_profile,
            item_ids=frozenset(item.item_id for item in items),
            done_ids=frozenset(item.item_id for item in items if item.done_at is not None),
        )

    # invitations
    def add_invitation(self, invitation: Invitation) -> None:
        self._session.add(
            FamilyInvitationRow(
                id=invitation.token_digest,
                child_id=invitation.child_id,
                email=invitation.email,
                invited_by=invitation.invited_by,
                created_at=invitation.created_at,
                expires_at=invitation.expires_at,
                language=invitation.language,
            )
        )
        self._session.flush()

    def invitation(self, token_digest: str) -> Invitation | None:
        row = self._session.get(FamilyInvitationRow, token_digest)
        return None if row is None else _invitation(row)

    def use_invitation(self, token_digest: str, user_id: int, at: datetime) -> bool:
        result = self._session.execute(
            update(FamilyInvitationRow)
            .where(
                FamilyInvitationRow.id == token_digest, FamilyInvitationRow.accepted_at.is_(None)
            )
            .values(accepted_at=at, accepted_by=user_id)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    # calendar feeds
    def add_feed(self, feed: CalendarFeed) -> None:
        self._session.add(
            CalendarFeedRow(
                id=feed.token_digest,
                user_id=feed.user_id,
                child_id=feed.child_id,
                created_at=feed.created_at,
                language=feed.language,
                token=feed.token,
            )
        )
        self._session.flush()

    def feed(self, token_digest: str) -> CalendarFeed | None:
        row = self._session.get(CalendarFeedRow, token_digest)
        return None if row is None else _feed(row)

    def revoke_feeds(self, user_id: int, child_id: int, at: datetime) -> int:
        result = self._session.execute(
            update(CalendarFeedRow)
            .where(
                CalendarFeedRow.user_id == user_id,
                CalendarFeedRow.child_id == child_id,
                CalendarFeedRow.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
        return int(getattr(result, "rowcount", 0))

    def live_feed_count(self, user_id: int, child_id: int) -> int:
        return (
            self._session.scalar(
                select(func.count())
                .select_from(CalendarFeedRow)
                .where(
                    CalendarFeedRow.user_id == user_id,
                    CalendarFeedRow.child_id == child_id,
                    CalendarFeedRow.revoked_at.is_(None),
                )
            )
            or 0
        )

    def live_feed(self, user_id: int, child_id: int) -> CalendarFeed | None:
        row = self._session.scalars(
            select(CalendarFeedRow)
            .where(
                CalendarFeedRow.user_id == user_id,
                CalendarFeedRow.child_id == child_id,
                CalendarFeedRow.revoked_at.is_(None),
            )
            .order_by(CalendarFeedRow.created_at.desc())
            .limit(1)
        ).first()
        return None if row is None else _feed(row)
