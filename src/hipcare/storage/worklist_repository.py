"""SQLAlchemy surveillance status and the worklist: the statuses stored per child and the
Core queries that list, count and open a site's worklist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Executable,
    Integer,
    String,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from hipcare.domain.records import (
    OperationStatus,
)
from hipcare.domain.surveillance import WorklistStatus
from hipcare.services.ports import (
    StoredSurveillanceStatus,
    WorklistCounts,
    WorklistEntry,
    WorklistOpening,
    WorklistOrder,
)
from hipcare.storage.referrals import ReferralRow
from hipcare.storage.tables import (
    AuditRow,
    Base,
    ChildRow,
    OperationPlanRow,
    SiteMembershipRow,
    SiteRow,
    SurveillanceStatusRow,
    UserRow,
)

__all__ = [
    "SqlAlchemySurveillanceStatusRepository",
]


_TABLES = Base.metadata.tables
_STATUS_COLUMNS = tuple(f.name for f in fields(StoredSurveillanceStatus))
_SOME_MISSING = 0
_LISTED_BY_RANK: tuple[WorklistStatus | None, ...] = (
    WorklistStatus.NEEDS_REFERRAL,
    WorklistStatus.OVERDUE,
    WorklistStatus.DUE,
    None,
)

# The worklist's statements are built once, with these parameters, and run on the session's
# connection: building them and the ORM's execute path cost more CPU than a page's queries.
_SITE = bindparam("site_id", type_=String)
_TODAY = bindparam("today", type_=Date)
_CHILDREN = _TABLES[ChildRow.__tablename__]
_STATUS = _TABLES[SurveillanceStatusRow.__tablename__]
_AUDIT = _TABLES[AuditRow.__tablename__]
_PLANS = _TABLES[OperationPlanRow.__tablename__]
_REFERRALS = _TABLES[ReferralRow.__tablename__]


def _rank() -> ColumnElement[int]:
    """Where a listed row sits on ``today`` (``_LISTED_BY_RANK``), from the stored dates as
    ``worklist_status`` judges: referral, overdue, due; a row the rules could not judge last.
    Rows not yet due, discharged or outside the guideline are not listed."""
    status = _STATUS.c
    # Constants written into the SQL, not parameters: the query's text then names its
    # order, and PostgreSQL plans the ranks as what they are.
    return case(
        (status.problem.is_not(None), literal_column("3", Integer)),
        (and_(status.needs_referral, ~_referral_answered()), literal_column("0", Integer)),
        (_referral_late(), literal_column("1", Integer)),
        (status.due_by < _TODAY, literal_column("1", Integer)),
        else_=literal_column("2", Integer),
    )


def _operation_planned() -> ColumnElement[bool]:
    """The row's child has an operation plan that is not cancelled."""
    plans = _PLANS.c
    return exists().where(
        plans.child_id == _STATUS.c.child_id, plans.status != OperationStatus.CANCELLED
    )


def _referral_answered() -> ColumnElement[bool]:
    """ "Needs referral" is answered: a referral is recorded or an operation planned
    (``hipcare.domain.referral.worklist_status_with_referral``)."""
    return or_(exists().where(_REFERRALS.c.child_id == _STATUS.c.child_id), _operation_planned())


def _referral_late() -> ColumnElement[bool]:
    """A referral not seen in clinic by its ``seen_by`` day, and no operation planned."""
    referrals = _REFERRALS.c
    late = exists().where(
        referrals.child_id == _STATUS.c.child_id,
        referrals.seen_on.is_(None),
        referrals.seen_by < _TODAY,
    )
    # The referral's own (indexed) check first: most children have none.
    return and_(late, ~_operation_planned())


def _listed_at() -> ColumnElement[bool]:
    """The rows a site's worklist lists on ``today``: referral, a review due or overdue, or
    a record the rules could not judge."""
    status = _STATUS.c
    return and_(
        status.site_id == _SITE,
        # The stored columns first: the referral checks are index seeks per row.
        or_(
            status.problem.is_not(None),
            status.due_from <= _TODAY,
            and_(status.needs_referral, ~_referral_answered()),
            _referral_late(),
        ),
    )


def _next_review() -> ColumnElement[date]:
    """The review date to show on ``today`` (``ScheduledReview.date_on``): ``due_by`` once
    overdue, else ``due_from`` but not before ``today``."""
    status = _STATUS.c
    return type_coerce(
        case(
            (status.due_by.is_(None), null()),
            (status.due_by < _TODAY, status.due_by),
            (status.due_from > _TODAY, status.due_from),
            else_=_TODAY,
        ),
        Date,
    )


@cache
def _to_judge() -> CompoundSelect[Any]:
    status, children = _STATUS.c, _CHILDREN.c
    at_site = status.site_id == _SITE
    version = bindparam("rules_version", type_=String)
    # A row follows its child's site (the (child_id, site_id) foreign key), so the site's
    # rows are its children's: equal counts mean none is missing. Otherwise the query
    # answers _SOME_MISSING (ids are positive) and the missing ones are looked for.
    missing = select(literal_column(str(_SOME_MISSING), Integer)).where(
        select(func.count()).where(children.site_id == _SITE).scalar_subquery()
        != select(func.count()).where(at_site).scalar_subquery()
    )
    # Each other part an index seek (site_id, rules_version, computed_on) or (site_id,
    # judge_again_on) that finds nothing in the steady state; "<>" would scan the site.
    return union(
        select(status.child_id).where(at_site, status.rules_version < version),
        select(status.child_id).where(at_site, status.rules_version > version),
        select(status.child_id).where(
            at_site, status.rules_version == version, status.computed_on > _TODAY
        ),
        select(status.child_id).where(at_site, status.judge_again_on <= _TODAY),
        missing,
    )


@cache
def _missing() -> Executable:
    status, children = _STATUS.c, _CHILDREN.c
    return (
        select(children.id)
        .outerjoin(_STATUS, status.child_id == children.id)
        .where(children.site_id == _SITE, status.child_id.is_(None))
    )


@cache
def _listing(postgresql: bool, order: WorklistOrder, one_status: bool, limited: bool) -> Executable:
    status, children = _STATUS.c, _CHILDREN.c
    rank, next_review = _rank(), _next_review()
    # Python's order of the names: code points, which PostgreSQL's "C" collation keeps
    # (the database's own may sort by language); SQLite compares bytes already.
    name: ColumnElement[str] = children.search_key
    if postgresql:
        name = name.collate("C")
    by_status = (rank, next_review.nulls_first(), name, children.id)
    ordering = {
        WorklistOrder.STATUS: by_status,
        WorklistOrder.REVIEW: (func.coalesce(next_review, _TODAY), *by_status),
        WorklistOrder.NAME: (name, *by_status),
    }[order]
    query = (
        select(
            children.id,
            children.given_name,
            children.family_name,
            children.search_key,
            rank,
            next_review,
            status.next_review_rule,
            status.local_protocol,
            status.problem,
        )
        .join_from(_STATUS, _CHILDREN, children.id == status.child_id)
        .where(
            _listed_at(),
            # Implied by the foreign key; said so PostgreSQL reads the site's children by
            # index instead of scanning them all for the join.
            children.site_id == _SITE,
            # A duplicate merged into another child is that child's, and listed as them.
            children.merged_into_id.is_(None),
        )
        .order_by(*ordering)
    )
    if one_status:
        query = query.where(rank == bindparam("rank", type_=Integer))
    if limited:
        # Written into the SQL when run: a plan made for an unknown limit reads more.
        query = query.limit(bindparam("limit", type_=Integer, literal_execute=True))
    return query


@cache
def _counts() -> Executable:
    rank = _rank()
    status, children = _STATUS.c, _CHILDREN.c
    merged = exists().where(children.id == status.child_id, children.merged_into_id.is_not(None))
    return select(rank, func.count()).where(_listed_at(), ~merged).group_by(rank)


# The parts of _opened, told apart by their first column.
_ACTOR, _SITE_KNOWN, _STALE, _COUNT = 0, 1, 2, 3


def _tag(part: int) -> ColumnElement[int]:
    return literal_column(str(part), Integer)


@cache
def _opened() -> Executable:
    """The worklist page's checks, stale check and counts as ONE statement of
    (part, value, number) rows: a round trip each cost the page more than their work."""
    users, memberships, sites = (
        _TABLES[UserRow.__tablename__].c,
        _TABLES[SiteMembershipRow.__tablename__].c,
        _TABLES[SiteRow.__tablename__].c,
    )
    actor = bindparam("actor_id", type_=Integer)
    belongs = (
        select(func.count())
        .where(memberships.user_id == users.id, memberships.site_id == _SITE)
        .scalar_subquery()
    )
    stale = _to_judge().subquery()
    rank = _rank()
    return union_all(
        select(_tag(_ACTOR), users.id, belongs).where(users.id == actor),
        select(_tag(_SITE_KNOWN), _tag(0), func.count()).where(sites.id == _SITE),
        select(_tag(_STALE), stale.c.child_id, _tag(0)),
        select(_tag(_COUNT), rank, func.count()).where(_listed_at()).group_by(rank),
    )


def _counts_from(by_rank: dict[int, int]) -> WorklistCounts:
    return WorklistCounts(
        needs_referral=by_rank.get(0, 0),
        overdue=by_rank.get(1, 0),
        due=by_rank.get(2, 0),
        total=sum(by_rank.values()),
    )


class SqlAlchemySurveillanceStatusRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def put(self, statuses: Sequence[StoredSurveillanceStatus]) -> None:
        if not statuses:
            return
        self._session.execute(
            delete(SurveillanceStatusRow).where(
                SurveillanceStatusRow.child_id.in_(sorted({s.child_id for s in statuses}))
            )
        )
        self._session.execute(
            insert(SurveillanceStatusRow),
            [{name: getattr(status, name) for name in _STATUS_COLUMNS} for status in statuses],
        )

    def to_judge(self, site_id: str, today: date, rules_version: str) -> Sequence[int]:
        connection = self._session.connection()
        at_site = {"site_id": site_id, "today": today, "rules_version": rules_version}
        stale = set(connection.execute(_to_judge(), at_site).scalars())
        if _SOME_MISSING in stale:
            stale.remove(_SOME_MISSING)
            stale.update(connection.execute(_missing(), {"site_id": site_id}).scalars())
        return sorted(stale)

    def listed(
        self,
        site_id: str,
        today: date,
        *,
        status: WorklistStatus | None = None,
        order: WorklistOrder = WorklistOrder.STATUS,
        limit: int | None = None,
    ) -> Sequence[WorklistEntry]:
        # Core rows of only the columns shown, not ORM entities: mapping thousands of
        # entities (or the whole stored plan) cost ten times the query.
        connection = self._session.connection()
        query = _listing(
            connection.dialect.name == "postgresql", order, status is not None, limit is not None
        )
        parameters: dict[str, Any] = {"site_id": site_id, "today": today}
        if status is not None:
            parameters["rank"] = _LISTED_BY_RANK.index(status)
        if limit is not None:
            parameters["limit"] = limit
        by_rank = _LISTED_BY_RANK
        return [
            WorklistEntry(child_id, given, family, key, by_rank[rank], review, rule, local, problem)
            for child_id, given, family, key, rank, review, rule, local, problem in (
                connection.execute(query, parameters).all()
            )
        ]

    def counted(self, site_id: str, today: date) -> WorklistCounts:
        rows = self._session.connection().execute(_counts(), {"site_id": site_id, "today": today})
        return _counts_from(dict(rows.all()))

    def opened(
        self, actor_id: int, site_id: str, today: date, rules_version: str
    ) -> WorklistOpening:
        connection = self._session.connection()
        rows = connection.execute(
            _opened(),
            {
                "actor_id": actor_id,
                "site_id": site_id,
                "today": today,
                "rules_version": rules_version,
            },
        )
        actor_known = actor_belongs = site_known = False
        stale: set[int] = set()
        by_rank: dict[int, int] = {}
        for part, value, number in rows:
            if part == _ACTOR:
                actor_known, actor_belongs = True, number > 0
            elif part == _SITE_KNOWN:
                site_known = number > 0
            elif part == _STALE:
                stale.add(value)
            else:
                by_rank[value] = number
        if _SOME_MISSING in stale:
            stale.remove(_SOME_MISSING)
            stale.update(connection.execute(_missing(), {"site_id": site_id}).scalars())
        return WorklistOpening(
            actor_known, actor_belongs, site_known, sorted(stale), _counts_from(by_rank)
        )
