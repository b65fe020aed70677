"""A site's worklist: the children who need referral, are overdue or are due for review.

Judged by the surveillance engine (``hipcare.domain.surveillance``) and kept as stored
judgements (``hipcare.services.surveillance_status``); every child listed, and only they,
is audited as read. Authorisation and audit as in :mod:`hipcare.services.access`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from hipcare.domain.errors import HipcareError, InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.records import AuditAction, Child, EntityType, OperationPlan, VisitRecord
from hipcare.domain.referral import ReferralState, worklist_status_with_referral
from hipcare.domain.surveillance import (
    RuleStatus,
    SurveillanceRules,
    WorklistStatus,
    plan_surveillance,
)
from hipcare.services.access import PermissionDeniedError, deny, find_actor
from hipcare.services.ports import UnitOfWork, WorklistCounts, WorklistEntry, WorklistOrder
from hipcare.services.referrals import referral_standings
from hipcare.services.surveillance_status import (
    judge_at_site,
    judge_stale_at_site,
    rules_version,
    surveillance_input,
)

__all__ = [
    "WORKLIST_PAGE_SIZE",
    "WorklistCounts",
    "WorklistEntry",
    "WorklistOrder",
    "WorklistPage",
    "site_worklist",
    "site_worklist_page",
]

_WORKLIST_ORDER = (WorklistStatus.NEEDS_REFERRAL, WorklistStatus.OVERDUE, WorklistStatus.DUE)
_WORKLIST_RANK: dict[WorklistStatus | None, int] = {
    status: rank for rank, status in enumerate(_WORKLIST_ORDER)
} | {None: len(_WORKLIST_ORDER)}


def _worklist_entry(
    child: Child,
    visits: list[VisitRecord],
    rules: SurveillanceRules,
    today: date,
    operations: Sequence[OperationPlan],
    referral: ReferralState | None,
) -> WorklistEntry | None:
    """A child judged afresh for ``today`` (their stored judgement is for a later day)."""
    if child.id is None:  # pragma: no cover -- only stored children are judged
        raise RuntimeError("only a stored child is listed")
    try:
        plan = plan_surveillance(surveillance_input(child, visits, operations, today), rules)
    except HipcareError as error:
        return WorklistEntry(
            child.id,
            child.given_name,
            child.family_name,
            child.search_key,
            status=None,
            next_review=None,
            rule_id=None,
            to_be_confirmed_by_clinical_lead=False,
            problem=str(error),
        )
    status = worklist_status_with_referral(plan, today, referral)
    if status not in _WORKLIST_ORDER:
        return None
    local = any(
        (rule := rules.by_id(rule_id)) is not None
        and rule.citation.status is RuleStatus.LOCAL_PROTOCOL
        for rule_id in plan.rule_ids
    )
    return WorklistEntry(
        child.id,
        child.given_name,
        child.family_name,
        child.search_key,
        status=status,
        next_review=plan.next_review,
        rule_id=None if plan.review is None else plan.review.rule_id,
        to_be_confirmed_by_clinical_lead=local,
        problem=None,
    )


def _worklist_rank(entry: WorklistEntry) -> tuple[int, date, str, int]:
    """Referral, overdue, due, then a child the rules could not judge; each by review date
    (none first), then name."""
    return (
        _WORKLIST_RANK[entry.status],
        entry.next_review or date.min,
        entry.search_key,
        entry.child_id,
    )


def _in_order(entries: list[WorklistEntry], order: WorklistOrder, today: date) -> None:
    """Sort ``entries`` in ``order`` as the listing query does (``WorklistOrder``)."""
    if order is WorklistOrder.REVIEW:
        entries.sort(key=lambda entry: (entry.next_review or today, *_worklist_rank(entry)))
    elif order is WorklistOrder.NAME:
        entries.sort(key=lambda entry: (entry.search_key, *_worklist_rank(entry)))
    else:
        entries.sort(key=_worklist_rank)


@dataclass(frozen=True)
class WorklistPage:
    """The first children of a site's worklist in one order (``entries``, of one status
    when asked) and how many the whole worklist holds by status (``counts``)."""

    entries: list[WorklistEntry]
    counts: WorklistCounts


WORKLIST_PAGE_SIZE = 100
"""Children a worklist page shows at first, and how many more "show more" adds."""


def _site_member(uow: UnitOfWork, actor_id: int, site_id: str, now: datetime) -> int:
    """The actor's id, once they are known to belong to the known site ``site_id``."""
    actor = find_actor(uow, actor_id)
    if uow.sites.get(site_id) is None:
        raise InvalidInputError("site", f"no site {site_id!r} is known")
    if not actor.belongs_to(site_id):
        deny(
            uow,
            actor,
            EntityType.SITE,
            site_id,
            now,
            f"user {actor_id} does not belong to site {site_id!r}",
        )
    if actor.id is None:  # pragma: no cover -- a stored actor has an id
        raise RuntimeError("audit rows need stored records")
    return actor.id


def _listed_afresh(
    uow: UnitOfWork,
    site_id: str,
    rules: SurveillanceRules,
    today: date,
    later: dict[int, tuple[Child, list[VisitRecord]]],
) -> list[WorklistEntry]:
    """The whole worklist, in status order, when some children are judged for ``today``
    alone (their stored judgement is for a later day)."""
    entries = [
        entry
        for entry in uow.surveillance_status.listed(site_id, today)
        if entry.child_id not in later
    ]
    done = uow.operation_plans.done_for_children(later)
    standings = referral_standings(uow, later, today=today)
    entries.extend(
        entry
        for child_id, (child, history) in later.items()
        if (
            entry := _worklist_entry(
                child, history, rules, today, done.get(child_id, []), standings[child_id].state
            )
        )
    )
    entries.sort(key=_worklist_rank)
    return entries


def _of_level(uow: UnitOfWork, entries: list[WorklistEntry], gmfcs: GMFCS) -> list[WorklistEntry]:
    """The entries whose child is of GMFCS level ``gmfcs``, in the same order."""
    facts = uow.worklist_details.facts([entry.child_id for entry in entries])
    return [
        entry
        for entry in entries
        if (found := facts.get(entry.child_id)) is not None and found.gmfcs is gmfcs
    ]


def _audit_listed(
    uow: UnitOfWork, actor_id: int, entries: list[WorklistEntry], now: datetime
) -> None:
    uow.audit.add_for_each(
        actor_id,
        AuditAction.CHILD_LISTED,
        EntityType.CHILD,
        [str(entry.child_id) for entry in entries],
        now,
    )


def site_worklist(
    uow: UnitOfWork,
    actor_id: int,
    site_id: str,
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
    status: WorklistStatus | None = None,
    gmfcs: GMFCS | None = None,
    order: WorklistOrder = WorklistOrder.STATUS,
) -> list[WorklistEntry]:
    """Children of ``site_id`` who need referral, are overdue or due for review on ``today``
    (only those of ``status`` and of GMFCS level ``gmfcs`` when given), in ``order``.

    Judged by the surveillance engine (``hipcare.domain.surveillance``) with ``rules``:
    referral first, then overdue, then due, each by review date. A child the rules could not
    judge is listed last with the reason. Every child listed, and only they, is audited as
    read.

    The judgements are the stored ones (``hipcare.services.surveillance_status``): stale
    rows are judged again first, then the listed children come from one indexed query.
    """
    with uow:
        actor = _site_member(uow, actor_id, site_id, now)
        later = judge_stale_at_site(uow, site_id, rules, today=today, now=now)
        if later:
            entries = _listed_afresh(uow, site_id, rules, today, later)
            if status is not None:
                entries = [entry for entry in entries if entry.status is status]
        else:
            # In worklist order already (the query sorts as _worklist_rank does).
            entries = list(uow.surveillance_status.listed(site_id, today, status=status))
        if gmfcs is not None:
            entries = _of_level(uow, entries, gmfcs)
        if order is not WorklistOrder.STATUS:
            _in_order(entries, order, today)
        _audit_listed(uow, actor, entries, now)
        uow.commit()
    return entries


def site_worklist_page(
    uow: UnitOfWork,
    actor_id: int,
    site_id: str,
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
    status: WorklistStatus | None = None,
    order: WorklistOrder = WorklistOrder.STATUS,
    limit: int = WORKLIST_PAGE_SIZE,
    gmfcs: GMFCS | None = None,
) -> WorklistPage:
    """The first ``limit`` children of :func:`site_worklist`'s list (only those of
    ``status`` and of GMFCS level ``gmfcs`` when given) in ``order``, and the whole list's
    counts by status (of that level's children when ``gmfcs`` is given).

    Only the children on the page are audited as read: the counts name nobody.
    """
    if limit < 1:
        raise InvalidInputError("limit", f"must be at least 1, not {limit}")
    with uow:
        # The user and site checks, the stale check and the counts in one statement.
        opening = uow.surveillance_status.opened(actor_id, site_id, today, rules_version(rules))
        if not opening.actor_known:
            raise PermissionDeniedError("actor", f"user {actor_id} is not known to hipcare")
        if not opening.site_known:
            raise InvalidInputError("site", f"no site {site_id!r} is known")
        if not opening.actor_belongs:
            deny(
                uow,
                find_actor(uow, actor_id),
                EntityType.SITE,
                site_id,
                now,
                f"user {actor_id} does not belong to site {site_id!r}",
            )
        later = judge_at_site(uow, site_id, opening.to_judge, rules, today=today, now=now)
        if later or gmfcs is not None:
            # The stored rows name no GMFCS level: the whole list, then the level's children.
            every = (
                _listed_afresh(uow, site_id, rules, today, later)
                if later
                else list(uow.surveillance_status.listed(site_id, today))
            )
            if gmfcs is not None:
                every = _of_level(uow, every, gmfcs)
            counts = WorklistCounts(
                needs_referral=sum(e.status is WorklistStatus.NEEDS_REFERRAL for e in every),
                overdue=sum(e.status is WorklistStatus.OVERDUE for e in every),
                due=sum(e.status is WorklistStatus.DUE for e in every),
                total=len(every),
            )
            chosen = [e for e in every if status is None or e.status is status]
            _in_order(chosen, order, today)
            entries = chosen[:limit]
        else:
            # The opening's counts were read before the stale rows were judged again.
            counts = (
                uow.surveillance_status.counted(site_id, today)
                if opening.to_judge
                else opening.counts
            )
            entries = list(
                uow.surveillance_status.listed(
                    site_id, today, status=status, order=order, limit=limit
                )
            )
        _audit_listed(uow, actor_id, entries, now)
        uow.commit()
    return WorklistPage(entries, counts)
