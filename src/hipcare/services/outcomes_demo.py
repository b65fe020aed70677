"""Synthetic outcomes for ``hipcare report --demo`` and ``hipcare registry-export --demo``.

Invented children (no real data) of one demo site, about 200 of them operated on, with
outcomes drawn to look like the published figures the clinical specification quotes, so
the report is worth looking at:

* length of stay around 6 days (usual stay 5-7 days, clinical spec §1; mean 6.4 days for CP
  hip reconstruction, §4);
* hip failure (re-operation or MP > 50%) with survivorship near 80% at 5 years (§4), better
  with a pelvic osteotomy (a Dega lowers MP by a further 15-19%, §4);
* MP before surgery mostly 40-90% (surgery considered above 40%, §3);
* surveillance coverage of GMFCS III-V children around 85%.

Each child also has the details a registry must never see (names, a hospital number, a
birth date, a contact email): :class:`DemoIdentity`, so the export can be tested for leaks.

Deterministic: the same ``seed``, ``operations`` and ``today`` give the same records.
Randomness is a ``random.Random(seed)``; nothing here is used for security.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.outcomes import (
    Complication,
    ComplicationGrade,
    HipFilm,
    OperationOutcome,
    OutcomeChild,
    ProcedureGroup,
    Reoperation,
    SiteRecords,
)
from hipcare.domain.pathway import Procedure
from hipcare.domain.radiograph import Side

__all__ = ["DEMO_OUTCOMES_SITE", "DemoIdentity", "DemoOutcomes", "demo_outcomes"]

DEMO_OUTCOMES_SITE = "harbour-childrens"
_T = TypeVar("_T")

_SYLLABLES = ("zor", "vel", "quin", "thar", "myr", "dax", "oph", "lune", "bryx", "kael", "surn")
_GRADE_WEIGHTS = {
    ComplicationGrade.I: 34,
    ComplicationGrade.II: 36,
    ComplicationGrade.III: 20,
    ComplicationGrade.IV_A: 6,
    ComplicationGrade.IV_B: 3,
    ComplicationGrade.V: 1,
}
# Yearly hazard of hip failure: exp(-0.045 * 5) ~ 80% survival at 5 years (clinical spec §4).
_FAILURE_HAZARD_PER_YEAR = {
    ProcedureGroup.VDRO_ALONE: 0.06,
    ProcedureGroup.VDRO_WITH_PELVIC_OSTEOTOMY: 0.03,
}
_OPERATED_GMFCS_WEIGHTS = {GMFCS.II: 2, GMFCS.III: 12, GMFCS.IV: 38, GMFCS.V: 48}
_SURVEILLED_GMFCS_WEIGHTS = {GMFCS.I: 20, GMFCS.II: 20, GMFCS.III: 20, GMFCS.IV: 20, GMFCS.V: 20}


@dataclass(frozen=True)
class DemoIdentity:
    """What identifies a synthetic child: never to appear in a registry export."""

    child_id: int
    given_name: str
    family_name: str
    date_of_birth: date
    hospital_number: str
    contact_email: str


@dataclass(frozen=True)
class DemoOutcomes:
    """The demo site's records and the identities of its invented children."""

    records: SiteRecords
    identities: tuple[DemoIdentity, ...]


def _weighted(rng: random.Random, weights: dict[_T, int]) -> _T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(3)).capitalize()


def _days(years: float) -> timedelta:
    return timedelta(days=round(years * 365.25))


def _surveillance_films(
    rng: random.Random, born: date, until: date, sides: tuple[Side, ...], start_mp: float
) -> list[HipFilm]:
    """Films every 6-12 months from age 2 until ``until``, MP drifting up a little."""
    films = []
    day = born + _days(2 + rng.random())
    percentage = start_mp
    while day <= until:
        for side in sides:
            films.append(HipFilm(side, day, round(min(100.0, max(0.0, percentage)), 1)))
        percentage += rng.uniform(-1.0, 4.0)
        day += timedelta(days=rng.randint(180, 380))
    return films


def _operated_child(
    rng: random.Random, child_id: int, operation_id: int, today: date
) -> tuple[OutcomeChild, OperationOutcome]:
    surgery = today - timedelta(days=rng.randint(30, 10 * 365))
    born = surgery - _days(rng.uniform(4.0, 12.0))
    gmfcs = _weighted(rng, _OPERATED_GMFCS_WEIGHTS)
    side_choice = rng.random()
    sides = (
        (Side.RIGHT, Side.LEFT)
        if side_choice < 0.45
        else ((Side.RIGHT,) if side_choice < 0.75 else (Side.LEFT,))
    )
    procedures = [Procedure.VDRO]
    if rng.random() < 0.45:
        procedures.append(Procedure.DEGA)
    if rng.random() < 0.4:
        procedures.append(Procedure.ADDUCTOR_RELEASE)
    group = ProcedureGroup.of(procedures)
    admission = surgery - timedelta(days=1 if rng.random() < 0.2 else 0)
    stay_days = max(2, round(rng.lognormvariate(math.log(6.0), 0.3)))
    discharge = admission + timedelta(days=stay_days)
    complications = tuple(
        Complication(_weighted(rng, _GRADE_WEIGHTS), rng.randint(0, 60))
        for _ in range(rng.choice((1, 1, 1, 2)) if rng.random() < 0.35 else 0)
    )
    readmissions: tuple[date, ...] = ()
    roll = rng.random()
    if roll < 0.07:
        readmissions = (discharge + timedelta(days=rng.randint(1, 30)),)
    elif roll < 0.10:
        readmissions = (discharge + timedelta(days=rng.randint(31, 120)),)
    films = []
    reoperations = []
    # Surveillance before the operation ends with the film that led to it.
    pre_mp = rng.uniform(40.0, 90.0)
    films += _surveillance_films(rng, born, surgery - timedelta(days=120), sides, pre_mp - 15)
    for side in sides:
        films.append(HipFilm(side, surgery - timedelta(days=rng.randint(7, 90)), round(pre_mp, 1)))
    # Most families stay in surveillance to the report date; some are lost to follow-up.
    lost = surgery + _days(rng.uniform(0.25, max(0.3, (today - surgery).days / 365.25)))
    last_seen = today if rng.random() < 0.85 else min(today, lost)
    for side in sides:
        drop = (
            rng.uniform(0.55, 0.75) if group is ProcedureGroup.VDRO_ALONE else rng.uniform(0.7, 0.9)
        )
        after_mp = max(0.0, pre_mp * (1 - drop) + rng.uniform(-3.0, 3.0))
        failure_years = rng.expovariate(_FAILURE_HAZARD_PER_YEAR[group])
        failure_day = surgery + _days(failure_years)
        by_reoperation = rng.random() < 0.4
        if failure_day <= last_seen and by_reoperation:
            reoperations.append(Reoperation(side, max(failure_day, surgery + timedelta(days=1))))
        day = surgery + timedelta(days=rng.randint(28, 60))
        while day <= last_seen:
            failed = failure_day <= day and not by_reoperation
            percentage = rng.uniform(52.0, 80.0) if failed else after_mp
            films.append(HipFilm(side, day, round(min(100.0, percentage), 1)))
            if failed or (by_reoperation and failure_day <= day):
                break
            after_mp = min(49.0, after_mp + rng.uniform(-1.0, 2.5))
            day += timedelta(days=rng.randint(170, 400))
    plate_removal = None
    plate_day = surgery + timedelta(days=rng.randint(540, 900))
    if plate_day <= last_seen and rng.random() < 0.6:
        plate_removal = plate_day
    child = OutcomeChild(child_id, born, gmfcs, tuple(films))
    operation = OperationOutcome(
        operation_id=operation_id,
        child_id=child_id,
        sides=sides,
        procedures=tuple(procedures),
        surgery_date=surgery,
        admission_date=admission,
        discharge_date=discharge,
        complications=complications,
        readmission_dates=readmissions,
        return_to_theatre=rng.random() < 0.04,
        reoperations=tuple(reoperations),
        plate_removal_date=plate_removal,
    )
    return child, operation


def _surveilled_child(rng: random.Random, child_id: int, today: date) -> OutcomeChild:
    born = today - _days(rng.uniform(2.5, 16.0))
    gmfcs = _weighted(rng, _SURVEILLED_GMFCS_WEIGHTS)
    start = {GMFCS.I: 5.0, GMFCS.II: 12.0, GMFCS.III: 20.0, GMFCS.IV: 26.0, GMFCS.V: 30.0}[gmfcs]
    # About 85% of children are seen in time; the others' last film is 13-30 months old.
    until = today if rng.random() < 0.85 else today - timedelta(days=rng.randint(400, 900))
    films = _surveillance_films(rng, born, until, (Side.RIGHT, Side.LEFT), start)
    return OutcomeChild(child_id, born, gmfcs, tuple(films))


def _identity(rng: random.Random, child: OutcomeChild) -> DemoIdentity:
    given, family = _name(rng), _name(rng)
    return DemoIdentity(
        child_id=child.child_id,
        given_name=given,
        family_name=family,
        date_of_birth=child.date_of_birth,
        hospital_number=f"HC{rng.randint(1_000_000, 9_999_999)}",
        contact_email=f"{family.lower()}.family@example.org",
    )


def demo_outcomes(
    *, today: date, seed: int = 19, operations: int = 200, surveilled_children: int | None = None
) -> DemoOutcomes:
    """A demo site with ``operations`` operated children and others under surveillance only.

    ``surveilled_children`` defaults to three quarters of ``operations``.
    """
    rng = random.Random(seed)  # noqa: S311 -- synthetic demo data, not security
    children: list[OutcomeChild] = []
    outcomes: list[OperationOutcome] = []
    for index in range(operations):
        child, operation = _operated_child(rng, index + 1, index + 1, today)
        children.append(child)
        outcomes.append(operation)
    extra = operations * 3 // 4 if surveilled_children is None else surveilled_children
    for index in range(extra):
        children.append(_surveilled_child(rng, operations + index + 1, today))
    identities = tuple(_identity(rng, child) for child in children)
    return DemoOutcomes(
        records=SiteRecords(DEMO_OUTCOMES_SITE, tuple(children), tuple(outcomes)),
        identities=identities,
    )
