"""Seed a database with the SYNTHETIC demo of ``hipcare serve --demo``.

Two sites (``content/sites.toml``), staff of every profession and a site administrator per
site (``content/demo/staff.toml``), and a dozen children at different stages of the journey
(``content/demo/children.toml``): a new referral, children under surveillance with several
films, a migration percentage rising to referral, an overdue review, surgery planned, in
hospital, recovering at home, a plate-removal review, a discharge, a postponed operation.

Dates in the demo data are offsets from ``today``, so each child is at their stage whenever
the demo is seeded. Children, visits and operations go through the use cases (authorised
and audited like any clinician's work); care plans come from the pathway engine with the
surgeon's preferences. Seeding is idempotent: a site, a user (by email) or a child (by name
at their site) that exists already is left as it is.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any

from hipcare.domain.diary import DiaryRules
from hipcare.domain.pathway import Procedure, Sides
from hipcare.domain.records import (
    Alert,
    CarePlanItemState,
    OperationPlan,
    OperationStatus,
    Profession,
    Role,
    Site,
    User,
    name_search_key,
)
from hipcare.domain.surveillance import add_months
from hipcare.services.accounts import add_user
from hipcare.services.demo_family import DemoFamily, seed_demo_families
from hipcare.services.pathway import make_plan, parse_facts
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.content import Content
from hipcare.services.records import record_visit, register_child
from hipcare.services.surveillance_status import refresh_statuses

__all__ = ["DemoAccount", "DemoSeedReport", "demo_accounts", "seed_demo"]


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in to print: email, password, who it is."""

    email: str
    password: str
    display_name: str
    role: Role
    site_ids: tuple[str, ...]


@dataclass(frozen=True)
class DemoSeedReport:
    """What seeding did: how many records it added, and the sign-ins to use."""

    sites_added: int
    users_added: int
    children_added: int
    children_present: int
    accounts: tuple[DemoAccount, ...]
    families: tuple[DemoFamily, ...] = ()
    """The demo family accounts (same password as ``accounts``), with whose family each is."""


def _demo_file(name: str) -> dict[str, Any]:
    text = resources.files("hipcare.content").joinpath("demo", name).read_text("utf-8")
    return tomllib.loads(text)


def demo_accounts() -> tuple[DemoAccount, ...]:
    """The demo staff's sign-ins (from ``content/demo/staff.toml``)."""
    staff = _demo_file("staff.toml")
    return tuple(
        DemoAccount(
            email=entry["email"],
            password=staff["demo_password"],
            display_name=entry["display_name"],
            role=Role(entry["role"]),
            site_ids=tuple(entry["sites"]),
        )
        for entry in staff["user"]
    )


def _moment(day: date) -> datetime:
    """Mid-morning UTC of ``day``: when a demo record is said to have been written."""
    return datetime.combine(day, time(9, 30), tzinfo=UTC)


def _seed_sites(uow: UnitOfWork, content: Content) -> int:
    added = 0
    with uow:
        for site in content.sites:
            if uow.sites.get(site.id) is None:
                uow.sites.add(Site(site.id, site.name))
                added += 1
        uow.commit()
    return added


def _seed_staff(uow: UnitOfWork) -> tuple[int, dict[str, int], dict[int, str]]:
    """Add missing staff; return how many were added, ids by email, surgeon profiles by id."""
    staff = _demo_file("staff.toml")
    added = 0
    ids: dict[str, int] = {}
    profiles: dict[int, str] = {}
    for entry in staff["user"]:
        with uow:
            existing = uow.users.by_email(entry["email"])
        if existing is None:
            profession = entry.get("profession")
            existing = add_user(
                uow,
                User(
                    email=entry["email"],
                    display_name=entry["display_name"],
                    role=Role(entry["role"]),
                    profession=None if profession is None else Profession(profession),
                    site_ids=frozenset(entry["sites"]),
                    surgeon_profile=entry.get("surgeon_profile"),
                ),
                staff["demo_password"],
            )
            added += 1
        if existing.id is None:  # pragma: no cover -- stored users have ids
            raise RuntimeError("a stored user has no id")
        ids[existing.email] = existing.id
        if "surgeon_profile" in entry:
            profiles[existing.id] = entry["surgeon_profile"]
    return added, ids, profiles


def _child_exists(uow: UnitOfWork, entry: dict[str, Any]) -> bool:
    key = name_search_key(f"{entry['given_name']} {entry['family_name']}")
    with uow:
        return any(
            child.search_key == key for child in uow.children.search(key, [entry["site"]], 5)
        )


def _hip(value: float) -> dict[str, float]:
    return {"migration_percentage_raw": value}


def _seed_operation(
    uow: UnitOfWork,
    child_id: int,
    entry: dict[str, Any],
    staff_ids: dict[str, int],
    profiles: dict[int, str],
    today: date,
    now: datetime,
    content: Content,
) -> None:
    operation = entry["operation"]
    surgeon_id = staff_ids[operation["surgeon"]]
    surgery_date = today + timedelta(days=operation["surgery_in_days"])
    # The plan started when the operation was booked (8 weeks before, or today if later).
    started_on = min(today, surgery_date - timedelta(days=56))
    postponed_from = (
        None
        if "postponed_from_days" not in operation
        else today + timedelta(days=operation["postponed_from_days"])
    )
    if postponed_from is not None:
        started_on = min(today, postponed_from - timedelta(days=56))
    site_defaults = content.site(entry["site"]).day_of_surgery
    care_plan = make_plan(
        parse_facts(
            {
                "surgery_date": surgery_date.isoformat(),
                "sides": operation["sides"],
                "procedures": operation["procedures"],
                "wheelchair_user": operation["wheelchair_user"],
                "attends_school": operation["attends_school"],
                "sees_therapists": operation["sees_therapists"],
                "language": entry["preferred_language"],
                "site": entry["site"],
                "surgeon": profiles[surgeon_id],
            },
            content=content,
        ),
        content=content,
        starts_on=started_on,
    )
    status = OperationStatus(operation["status"])
    with uow:
        plan = uow.operation_plans.add(
            OperationPlan(
                child_id=child_id,
                sides=Sides(operation["sides"]),
                procedures=tuple(Procedure(value) for value in operation["procedures"]),
                implant=operation["implant"],
                surgeon_id=surgeon_id,
                weight_bearing=care_plan.weight_bearing,
                positioning_device=care_plan.positioning_device,
                status=status,
                plate_angle_deg=operation.get("plate_angle_deg"),
                surgery_date=surgery_date,
                wheelchair_user=operation["wheelchair_user"],
                attends_school=operation["attends_school"],
                sees_therapists=operation["sees_therapists"],
                pathway_started_on=started_on,
                postponed_from=postponed_from,
                postponed_at=None
                if postponed_from is None
                else now - timedelta(days=operation.get("postponed_days_ago", 2)),
                day_of_surgery=None
                if site_defaults is None or status is OperationStatus.DONE
                else site_defaults.day(),
            )
        )
        if status in (OperationStatus.SCHEDULED, OperationStatus.DONE) and plan.id is not None:
            done_by = staff_ids[entry["recorded_by"]]
            seen: set[str] = set()
            for item in care_plan.items:
                if item.id in seen:
                    continue
                seen.add(item.id)
                done = operation.get("done_before_today", False) and item.date < today
                uow.care_plan_items.add(
                    CarePlanItemState(
                        operation_plan_id=plan.id,
                        item_id=item.id,
                        due_date=item.date,
                        done_at=_moment(item.date) if done else None,
                        done_by=done_by if done else None,
                    )
                )
        if status is OperationStatus.DONE:
            # The engine's hip_surgery: the stored judgement must know of the operation.
            refresh_statuses(uow, [child_id], content.surveillance_rules, today=today, now=now)
        uow.commit()


def _seed_alerts(
    uow: UnitOfWork,
    child_id: int,
    alerts: list[dict[str, Any]],
    staff_ids: dict[str, int],
    now: datetime,
) -> None:
    """Alerts as the family side would raise them (some already acknowledged)."""
    with uow:
        for alert in alerts:
            acknowledger = alert.get("acknowledged_by")
            uow.alerts.add(
                Alert(
                    child_id=child_id,
                    kind=alert["kind"],
                    raised_at=now - timedelta(hours=alert["hours_ago"]),
                    acknowledged_by=None if acknowledger is None else staff_ids[acknowledger],
                    acknowledged_at=None
                    if acknowledger is None
                    else now - timedelta(hours=alert["acknowledged_hours_ago"]),
                )
            )
        uow.commit()


def seed_demo(
    uow: UnitOfWork,
    *,
    today: date,
    now: datetime,
    content: Content,
    diary_rules: DiaryRules | None = None,
) -> DemoSeedReport:
    """Add whatever of the demo is missing; return what was added and the demo sign-ins.

    ``now`` stamps the audit rows the use cases write while seeding; ``content`` gives the
    sites, the surveillance rules and the pathway. With ``diary_rules`` (the content's), the
    demo's family accounts and their diaries are seeded too (:mod:`hipcare.services.demo_family`).
    """
    sites_added = _seed_sites(uow, content=content)
    users_added, staff_ids, profiles = _seed_staff(uow)
    children = _demo_file("children.toml")["child"]
    added = present = 0
    for entry in children:
        if _child_exists(uow, entry):
            present += 1
            continue
        actor = staff_ids[entry["recorded_by"]]
        born = add_months(today, -entry["born_months_ago"])
        document = {
            key: entry[key]
            for key in (
                "given_name",
                "family_name",
                "site",
                "preferred_language",
                "gmfcs",
                "gestation_weeks",
                "contacts",
            )
            if key in entry
        }
        document["date_of_birth"] = born.isoformat()
        child = register_child(
            uow, actor, document, today=today, now=now, rules=content.surveillance_rules
        )
        if child.id is None:  # pragma: no cover -- stored children have ids
            raise RuntimeError("a stored child has no id")
        for visit in entry.get("visits", []):
            if "days_ago" in visit:
                visit_date = today - timedelta(days=visit["days_ago"])
            else:
                visit_date = add_months(today, -visit["months_ago"])
            visit_document: dict[str, Any] = {
                "visit_date": visit_date.isoformat(),
                "xray": visit.get("xray", True),
            }
            for side in ("right", "left"):
                if side in visit:
                    visit_document[side] = _hip(visit[side])
            record_visit(
                uow,
                actor,
                child.id,
                visit_document,
                today=today,
                now=now,
                rules=content.surveillance_rules,
            )
        if "operation" in entry:
            _seed_operation(uow, child.id, entry, staff_ids, profiles, today, now, content=content)
        _seed_alerts(uow, child.id, entry.get("alerts", []), staff_ids, now)
        added += 1
    families: tuple[DemoFamily, ...] = ()
    if diary_rules is not None:
        password = _demo_file("staff.toml")["demo_password"]
        families = seed_demo_families(uow, children, password, diary_rules, now=now)
    return DemoSeedReport(
        sites_added=sites_added,
        users_added=users_added,
        children_added=added,
        children_present=present,
        accounts=demo_accounts(),
        families=families,
    )
