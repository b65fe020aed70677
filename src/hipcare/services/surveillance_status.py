"""Each child's surveillance judgement, stored, so a site's worklist is one indexed query.

Why it can be stored: apart from ``today``, a plan depends only on the child (date of birth,
GMFCS level, gestation), their visits and their operations marked done (the engine's
``hip_surgery``, :func:`hip_surgery_done`). On a later day without a new record the engine
gives the same review (rule, window, X-ray), the same referral and the same discharge, so
``worklist_status`` of the stored judgement equals a fresh plan's (docs/clinical/surveillance.md,
"For the web worklist"; tested with Hypothesis in
``tests/integration/storage/test_surveillance_status.py``). Three things do change with the
day, and each makes the row be judged again, lazily, by :func:`judge_stale_at_site`
(the worklist calls it first; it finds nothing in the steady state, with index seeks only):

- the rules changed (``rules_version``: a hash of the rule set the row was judged with);
- ``judge_again_on`` came: the child reached the rules' age limit (the plan becomes
  "outside"), or the review window closed after the row was judged (the plan's action then
  says "overdue").

A worklist asked for a day before the row was judged (or before a recorded visit) judges
that child afresh for that day and stores nothing.

Only what the worklist shows is stored (the next review's rule and window, referral,
discharge, local protocol, the problem), not the whole plan: the child's page judges afresh.

Written by the use cases that change what a judgement depends on, in their own unit of
work: ``register_child`` and ``record_visit`` (so the demo seed too), the FHIR import
(children added or changed, visits added or changed), the viewer's recorded visits, and
whatever marks an operation done (the demo seed's done operations): an operated child is
never discharged before skeletal maturity, so a row judged before the operation was marked
done would be wrong until the next record. Such a use case calls :func:`refresh_statuses`.
:func:`backfill` judges every child (run by the migration's caller, ``hipcare serve`` at
start-up and the bench); see docs/storage.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from hipcare.domain.errors import HipcareError
from hipcare.domain.records import Child, OperationPlan, OperationStatus, VisitRecord
from hipcare.domain.surveillance import (
    HipProcedure,
    HipSurgery,
    RuleKind,
    RuleStatus,
    SurgerySide,
    SurveillanceInput,
    SurveillanceRules,
    add_months,
    plan_surveillance,
)
from hipcare.services.ports import StoredSurveillanceStatus, UnitOfWork

__all__ = [
    "backfill",
    "hip_surgery_done",
    "judge_again_on",
    "judge_at_site",
    "judge_child",
    "judge_stale_at_site",
    "refresh_statuses",
    "rules_version",
    "surveillance_input",
]

_VERSIONS: dict[int, tuple[SurveillanceRules, str]] = {}


def _canonical(value: object) -> object:
    """``value`` as nested lists of plain values, the same in every process.

    ``repr`` of the rules is not: a rule's GMFCS levels are a frozenset, whose order follows
    the per-process string hash (PYTHONHASHSEED), so two server processes (or one restarted)
    would each find the other's rows stale and judge the whole site again.
    """
    if is_dataclass(value) and not isinstance(value, type):
        return [
            type(value).__name__,
            *([field.name, _canonical(getattr(value, field.name))] for field in fields(value)),
        ]
    if isinstance(value, Enum):
        return [type(value).__name__, _canonical(value.value)]
    if isinstance(value, frozenset | set):
        return sorted((_canonical(item) for item in value), key=repr)
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    return value


def rules_version(rules: SurveillanceRules) -> str:
    """A hash of the whole rule set (every rule, threshold, window and citation), the same
    in every process for the same rules."""
    known = _VERSIONS.get(id(rules))
    if known is not None and known[0] is rules:
        return known[1]
    version = hashlib.sha256(repr(_canonical(rules)).encode("utf-8")).hexdigest()[:32]
    _VERSIONS[id(rules)] = (rules, version)
    return version


def hip_surgery_done(operations: Sequence[OperationPlan], today: date) -> tuple[HipSurgery, ...]:
    """The engine's ``hip_surgery`` entries for the operations marked done by ``today``: one
    per procedure of the sitting (VDRO, Dega, adductor or psoas release, open reduction), on
    the operation's date and sides. Plans not done (proposed, scheduled, postponed, cancelled)
    are no surgery; one sitting is one operation to the engine (same date)."""
    surgeries: list[HipSurgery] = []
    for operation in operations:
        done_on = operation.surgery_date
        if operation.status is not OperationStatus.DONE or done_on is None or done_on > today:
            continue
        side = SurgerySide(operation.sides.value)
        surgeries.extend(
            HipSurgery(date=done_on, side=side, procedure=HipProcedure(procedure.value))
            for procedure in operation.procedures
        )
    return tuple(surgeries)


def surveillance_input(
    child: Child,
    visits: Sequence[VisitRecord],
    operations: Sequence[OperationPlan],
    today: date,
) -> SurveillanceInput:
    """The surveillance engine's input for a stored child on ``today``: the visits and the
    operations done up to that day."""
    return SurveillanceInput(
        date_of_birth=child.date_of_birth,
        gmfcs=child.gmfcs,
        today=today,
        visits=tuple(
            visit.to_surveillance_visit() for visit in visits if visit.visit_date <= today
        ),
        gestation_weeks=child.gestation_weeks,
        hip_surgery=hip_surgery_done(operations, today),
    )


# --- judging -----------------------------------------------------------------------------------


def judge_child(
    child: Child,
    visits: Sequence[VisitRecord],
    rules: SurveillanceRules,
    *,
    operations: Sequence[OperationPlan],
    today: date,
    now: datetime,
) -> StoredSurveillanceStatus:
    """The child's judgement on ``today`` (which must not be before a recorded visit or a
    done operation); ``operations``: the child's, only those marked done count."""
    if child.id is None:  # pragma: no cover -- only stored children are judged
        raise RuntimeError("only a stored child is judged")
    version = rules_version(rules)
    try:
        plan = plan_surveillance(surveillance_input(child, visits, operations, today), rules)
    except HipcareError as error:
        return StoredSurveillanceStatus(
            child_id=child.id,
            site_id=child.site_id,
            computed_on=today,
            rules_version=version,
            next_review_rule=None,
            due_from=None,
            due_by=None,
            xray_at_next_review=False,
            needs_referral=False,
            discharged=False,
            outside_guideline=False,
            local_protocol=False,
            valid_until=None,
            judge_again_on=None,
            problem=str(error),
            computed_at=now,
        )
    limit = add_months(child.date_of_birth, rules.single(RuleKind.AGE_LIMIT).limit_age_months or 0)
    valid_until = limit if today < limit else None
    review = plan.review
    return StoredSurveillanceStatus(
        child_id=child.id,
        site_id=child.site_id,
        computed_on=today,
        rules_version=version,
        next_review_rule=None if review is None else review.rule_id,
        due_from=None if review is None else review.due_from,
        due_by=None if review is None else review.due_by,
        xray_at_next_review=bool(review and review.xray),
        needs_referral=plan.needs_referral,
        discharged=plan.discharged,
        outside_guideline=plan.outside_guideline,
        local_protocol=any(
            (rule := rules.by_id(rule_id)) is not None
            and rule.citation.status is RuleStatus.LOCAL_PROTOCOL
            for rule_id in plan.rule_ids
        ),
        valid_until=valid_until,
        judge_again_on=judge_again_on(
            today, valid_until, None if review is None else review.due_by
        ),
        problem=None,
        computed_at=now,
    )


def judge_again_on(computed_on: date, valid_until: date | None, due_by: date | None) -> date | None:
    """The first day a judgement made on ``computed_on`` could differ from a fresh one
    without a new record: the age limit ``valid_until``, or the day after the review window
    closed (``due_by``) if that is still to come, whichever is sooner (module docstring)."""
    days = [valid_until] if valid_until is not None else []
    if due_by is not None and computed_on <= due_by:
        days.append(due_by + timedelta(days=1))
    return min(days, default=None)


def _judgement_day(
    child: Child, visits: Sequence[VisitRecord], operations: Sequence[OperationPlan], today: date
) -> date:
    """``today``, or the latest day the record reaches if later (a visit, a done operation,
    the birth)."""
    done = (
        operation.surgery_date
        for operation in operations
        if operation.status is OperationStatus.DONE and operation.surgery_date is not None
    )
    return max([today, child.date_of_birth, *(visit.visit_date for visit in visits), *done])


def refresh_statuses(
    uow: UnitOfWork,
    child_ids: Collection[int],
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
) -> None:
    """Judge these children again and store it, inside the caller's unit of work (after a
    change to what the judgement reads: the child, a visit, an operation marked done)."""
    ids = sorted(set(child_ids))
    if not ids:
        return
    visits = uow.visits.for_children(ids)
    done = uow.operation_plans.done_for_children(ids)
    statuses = []
    for child_id in ids:
        child = uow.children.get(child_id)
        if child is None:  # pragma: no cover -- callers pass children they just stored
            continue
        history, operations = visits.get(child_id, []), done.get(child_id, [])
        day = _judgement_day(child, history, operations, today)
        statuses.append(
            judge_child(child, history, rules, operations=operations, today=day, now=now)
        )
    uow.surveillance_status.put(statuses)


_FEW = 50
"""Up to this many stale rows (a day's newly overdue reviews) their children are read one
by one; more (new rules, a new site) with the site's children at once."""


def judge_stale_at_site(
    uow: UnitOfWork,
    site_id: str,
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
) -> dict[int, tuple[Child, list[VisitRecord]]]:
    """Judge again and store the site's missing or stale rows (module docstring).

    Returns the children whose record reaches past ``today`` (a visit or the birth after
    it): their stored rows stay as they are, and the caller judges them for ``today`` alone.
    """
    stale = uow.surveillance_status.to_judge(site_id, today, rules_version(rules))
    return judge_at_site(uow, site_id, stale, rules, today=today, now=now)


def judge_at_site(
    uow: UnitOfWork,
    site_id: str,
    child_ids: Collection[int],
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
) -> dict[int, tuple[Child, list[VisitRecord]]]:
    """:func:`judge_stale_at_site` for the ids its stale check found (``to_judge``, or the
    worklist page's ``opened``, which reads it with the page's other checks)."""
    stale = set(child_ids)
    if not stale:
        return {}
    if len(stale) <= _FEW:
        found = (uow.children.get(child_id) for child_id in sorted(stale))
        children = [child for child in found if child is not None]
    else:
        children = [child for child in uow.children.at_site(site_id) if child.id in stale]
    visits = uow.visits.for_children(sorted(stale))
    done = uow.operation_plans.done_for_children(sorted(stale))
    later: dict[int, tuple[Child, list[VisitRecord]]] = {}
    statuses = []
    for child in children:
        child_id = child.id or 0
        history, operations = visits.get(child_id, []), done.get(child_id, [])
        if _judgement_day(child, history, operations, today) > today:
            later[child_id] = (child, history)
            continue
        statuses.append(
            judge_child(child, history, rules, operations=operations, today=today, now=now)
        )
    uow.surveillance_status.put(statuses)
    return later


def backfill(
    uow: UnitOfWork,
    site_ids: Collection[str],
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
) -> int:
    """Judge every missing or stale row of these sites and commit; returns how many sites."""
    with uow:
        for site_id in sorted(site_ids):
            judge_stale_at_site(uow, site_id, rules, today=today, now=now)
        uow.commit()
    return len(site_ids)
