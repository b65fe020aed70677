"""Synthetic demo records for ``hipcare fhir export --demo`` (invented people, no real data).

Seeds an empty database through the use cases (``register_child``, ``record_visit``) and,
where no use case exists yet, through the repositories (operation plans and their care-plan
items): the two demo sites, one clinician of both, and ``children`` children with family
contacts, surveillance visits with measures and, for every third child, a planned VDRO with
its dated care plan (from the shipped pathway) of which the items before ``today`` are done.

Deterministic: the same ``children``, ``seed`` and ``today`` give the same records.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from hipcare.domain.diary import assess
from hipcare.domain.pathway import CareFacts, Procedure, Sides, WeightBearing
from hipcare.domain.records import (
    CarePlanItemState,
    OperationPlan,
    OperationStatus,
    Profession,
    Role,
    Site,
    User,
)
from hipcare.services.family import parse_diary_entry
from hipcare.services.pathway import make_plan
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.content import Content
from hipcare.services.records import record_visit, register_child

__all__ = ["DEMO_CLINICIAN_EMAIL", "seed_demo"]

DEMO_CLINICIAN_EMAIL = "demo.clinician@example.org"

_GIVEN = ("Amira", "Bao", "Chloe", "Dara", "Elias", "Farah", "Giang", "Hamid", "Isla", "Jun")
_FAMILY = ("Haddad", "Nguyen", "Tran", "Rahimi", "Chen", "Wong", "Karimi", "Smith", "Li", "Le")
_LANGUAGES = ("en", "ar", "zh-Hans", "zh-Hant", "vi", "fa")
_RELATIONSHIPS = ("mother", "father", "grandmother", "carer")


def seed_demo(
    uow: UnitOfWork, *, today: date, children: int = 6, seed: int = 7, content: Content
) -> int:
    """Fill an empty database with demo records; returns the demo clinician's user id.

    ``content`` gives the sites, the surveillance and diary rules and the pathway."""
    if children < 1:
        raise ValueError("children must be at least 1")
    rng = random.Random(seed)  # noqa: S311 -- synthetic demo data, not security
    now = datetime.combine(today, time(9, 0), tzinfo=UTC)
    sites = content.sites
    with uow:
        for site in sites:
            uow.sites.add(Site(site.id, site.name))
        clinician = uow.users.add(
            User(
                DEMO_CLINICIAN_EMAIL,
                "Demo Clinician",
                Role.CLINICIAN,
                Profession.SURGEON,
                frozenset(site.id for site in sites),
            )
        )
        uow.commit()
    assert clinician.id is not None  # noqa: S101 -- add() returns the stored id
    for number in range(children):
        site = sites[number % len(sites)]
        age_days = rng.randint(2 * 365, 11 * 365)
        child = register_child(
            uow,
            clinician.id,
            {
                "given_name": _GIVEN[number % len(_GIVEN)],
                "family_name": _FAMILY[(number * 3 + 1) % len(_FAMILY)],
                "date_of_birth": (today - timedelta(days=age_days)).isoformat(),
                "site": site.id,
                "preferred_language": _LANGUAGES[number % len(_LANGUAGES)],
                "gmfcs": ("III", "IV", "V", "II")[number % 4],
                "gestation_weeks": rng.choice([None, 32.0, 39.0]),
                "contacts": [
                    {
                        "name": f"Parent {number + 1}",
                        "relationship": _RELATIONSHIPS[number % len(_RELATIONSHIPS)],
                        "phone": f"0400 555 {number % 1000:03d}",
                    }
                ],
                # Thousands of generated children share a few names, so some share a birth
                # date too by chance: they are different children, as registration is told.
                "confirm_not_duplicate": True,
            },
            today=today,
            now=now,
            rules=content.surveillance_rules,
        )
        assert child.id is not None  # noqa: S101 -- register_child returns the stored child
        right = rng.uniform(10, 35)
        left = rng.uniform(5, 25)
        for months_ago in (18, 12, 6, 0):
            visit_day = today - timedelta(days=30 * months_ago)
            if visit_day <= child.date_of_birth:
                continue
            right += rng.uniform(0, 6)
            left += rng.uniform(-2, 4)
            raw_right = round(right, 1)
            record_visit(
                uow,
                clinician.id,
                child.id,
                {
                    "visit_date": visit_day.isoformat(),
                    "xray": True,
                    "right": {
                        "migration_percentage_raw": raw_right,
                        "acetabular_index_deg": round(rng.uniform(18, 30), 1),
                        "head_shaft_angle_deg": round(rng.uniform(150, 170), 1),
                        "neck_shaft_angle_deg": round(rng.uniform(140, 160), 1),
                    },
                    "left": {"migration_percentage_raw": round(max(left, 0.0), 1)},
                },
                today=today,
                now=now,
                rules=content.surveillance_rules,
            )
        if number % 3 == 0:
            _plan_operation(uow, child.id, clinician.id, site.id, today, now, rng, content=content)
            _diary(uow, child.id, clinician.id, now, content=content)
    return clinician.id


def _diary(
    uow: UnitOfWork, child_id: int, recorded_by: int, now: datetime, content: Content
) -> None:
    """Three home-diary entries, stored as ``hipcare.services.family`` stores them."""
    documents: list[dict[str, object]] = [
        {"kind": "pain-numeric", "pain_score": 3},
        {
            "kind": "pain-r-flacc",
            "face": 1,
            "legs": 1,
            "activity": 0,
            "cry": 0,
            "consolability": 1,
            "note": "stiff when lifted",
        },
        {"kind": "skin", "skin_finding": "red-fades", "skin_where": "right heel"},
    ]
    rules = content.diary_rules
    with uow:
        for minutes, document in enumerate(documents):
            moment = now - timedelta(days=2, minutes=10 * minutes)
            entry, data = parse_diary_entry(child_id, document, now=moment)
            assessment = assess(entry, rules)
            data["rules"] = [rule.id for rule in assessment.fired]
            uow.family.add_diary_entry(entry, recorded_by, data, assessment.urgency)
        uow.commit()


def _plan_operation(
    uow: UnitOfWork,
    child_id: int,
    surgeon_id: int,
    site_id: str,
    today: date,
    now: datetime,
    rng: random.Random,
    content: Content,
) -> None:
    surgery = today + timedelta(days=rng.randint(10, 40))
    procedures = (Procedure.VDRO, Procedure.ADDUCTOR_RELEASE)
    facts = CareFacts(
        surgery_date=surgery,
        sides=Sides.RIGHT,
        procedures=procedures,
        wheelchair_user=True,
        attends_school=True,
        sees_therapists=True,
        weight_bearing=WeightBearing.AS_TOLERATED,
        positioning_device=False,
        site=site_id,
        child_ref=f"child-{child_id}",
    )
    plan = make_plan(facts, content=content)
    with uow:
        operation = uow.operation_plans.add(
            OperationPlan(
                child_id=child_id,
                sides=Sides.RIGHT,
                procedures=procedures,
                implant="90 degree paediatric blade plate",
                surgeon_id=surgeon_id,
                weight_bearing=WeightBearing.AS_TOLERATED,
                positioning_device=False,
                status=OperationStatus.SCHEDULED,
                plate_angle_deg=90.0,
                surgery_date=surgery,
                wheelchair_user=facts.wheelchair_user,
                attends_school=facts.attends_school,
                sees_therapists=facts.sees_therapists,
            )
        )
        assert operation.id is not None  # noqa: S101 -- add() returns the stored id
        for item in plan.items:
            done = item.date < today
            uow.care_plan_items.add(
                CarePlanItemState(
                    operation_plan_id=operation.id,
                    item_id=item.id,
                    due_date=item.date,
                    done_at=now if done else None,
                    done_by=surgeon_id if done else None,
                )
            )
        uow.commit()
