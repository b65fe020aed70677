"""Referrals to the orthopaedic clinic (issue 16): record one, record the clinic visit,
and read where each child's referral stands.

A clinician of the child's site records them (others are refused, and the attempt
audited, as in :mod:`hipcare.services.access`); every change writes one audit row of ids.
How long a referral may wait to be seen comes from the referral protocol
(``hipcare.content.referral``, local protocol: to be confirmed by the clinical lead),
handed in by the entry point.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, Child, EntityType, Role, User
from hipcare.domain.referral import (
    ClinicOutcome,
    Referral,
    ReferralProtocol,
    ReferralState,
    referral_state,
)
from hipcare.services.access import child_for, deny, find_actor, write_audit
from hipcare.services.json_input import (
    json_object,
    optional_text,
    parse_date,
    refuse_unknown_keys,
)
from hipcare.services.ports import UnitOfWork

__all__ = [
    "ReferralStanding",
    "record_clinic_visit",
    "record_referral",
    "referral_standings",
]

_REFERRAL_FIELDS = ("referred_to", "referred_on")
_CLINIC_FIELDS = ("seen_on", "outcome")


@dataclass(frozen=True)
class ReferralStanding:
    """Where one child's referral stands on ``today``: the latest referral (None: none
    recorded), its state (None: no referral and no operation planned) and days overdue."""

    referral: Referral | None
    state: ReferralState | None
    days_overdue: int


def _clinician_for(uow: UnitOfWork, actor_id: int, child_id: int, now: datetime) -> Child:
    """The child, once the actor is a clinician of its site (else refused, audited)."""
    actor = find_actor(uow, actor_id)
    child = child_for(uow, actor, child_id, now)
    if actor.role is not Role.CLINICIAN:
        deny(
            uow,
            actor,
            EntityType.CHILD,
            child_id,
            now,
            f"user {actor_id} is a {actor.role}; only a clinician records referrals",
        )
    return child


def _not_after_today(day: date, field: str, today: date) -> None:
    if day > today:
        raise InvalidInputError(
            field, f"{day.isoformat()} is in the future (today is {today.isoformat()})"
        )


def record_referral(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    document: Mapping[str, Any],
    protocol: ReferralProtocol,
    *,
    today: date,
    now: datetime,
) -> Referral:
    """Record that the child was referred (``{"referred_to": text, "referred_on":
    "YYYY-MM-DD"}``); it should be seen by ``protocol.seen_by(referred_on)``."""
    body = json_object(document, "referral", "must be a JSON object")
    refuse_unknown_keys(body, _REFERRAL_FIELDS)
    referred_to = optional_text(body.get("referred_to"), "referred_to")
    if referred_to is None:
        raise InvalidInputError(
            "referred_to", "is missing; say who the child is referred to (a surgeon or a clinic)"
        )
    if body.get("referred_on") is None:
        raise InvalidInputError("referred_on", "is missing; write the day as YYYY-MM-DD")
    referred_on = parse_date(body["referred_on"], "referred_on")
    _not_after_today(referred_on, "referred_on", today)
    with uow:
        child = _clinician_for(uow, actor_id, child_id, now)
        if referred_on < child.date_of_birth:
            raise InvalidInputError("referred_on", "is before the child's date of birth")
        stored = uow.referrals.add(
            Referral(
                child_id=child_id,
                referred_to=referred_to,
                referred_on=referred_on,
                seen_by=protocol.seen_by(referred_on),
                recorded_by=actor_id,
                recorded_at=now,
            )
        )
        _audit(uow, actor_id, AuditAction.REFERRAL_RECORDED, child_id, now)
        uow.commit()
    return stored


def record_clinic_visit(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    referral_id: int,
    document: Mapping[str, Any],
    *,
    today: date,
    now: datetime,
) -> Referral:
    """Record that the clinic saw the child for this referral (``{"seen_on":
    "YYYY-MM-DD", "outcome": "surgery planned" | "watch and wait" | "declined"}``)."""
    body = json_object(document, "clinic_visit", "must be a JSON object")
    refuse_unknown_keys(body, _CLINIC_FIELDS)
    if body.get("seen_on") is None:
        raise InvalidInputError("seen_on", "is missing; write the day as YYYY-MM-DD")
    seen_on = parse_date(body["seen_on"], "seen_on")
    _not_after_today(seen_on, "seen_on", today)
    outcomes = [outcome.value for outcome in ClinicOutcome]
    if body.get("outcome") not in outcomes:
        raise InvalidInputError("outcome", f"must be one of: {', '.join(outcomes)}")
    outcome = ClinicOutcome(body["outcome"])
    with uow:
        _clinician_for(uow, actor_id, child_id, now)
        referral = uow.referrals.get(referral_id)
        if referral is None or referral.child_id != child_id:
            raise InvalidInputError("referral_id", f"the child has no referral {referral_id}")
        stored = uow.referrals.save(replace(referral, seen_on=seen_on, outcome=outcome))
        _audit(uow, actor_id, AuditAction.REFERRAL_SEEN, child_id, now)
        uow.commit()
    return stored


def _audit(
    uow: UnitOfWork, actor_id: int, action: AuditAction, child_id: int, now: datetime
) -> None:
    actor: User = find_actor(uow, actor_id)
    write_audit(uow, actor, action, EntityType.CHILD, child_id, now)


def referral_standings(
    uow: UnitOfWork, child_ids: Collection[int], *, today: date
) -> dict[int, ReferralStanding]:
    """Each child's referral standing on ``today``, inside the caller's unit of work (the
    caller has authorised reading these children)."""
    ids = sorted(set(child_ids))
    latest = uow.referrals.latest_for_children(ids)
    planned = uow.referrals.with_operation_planned(ids)
    standings = {}
    for child_id in ids:
        referral = latest.get(child_id)
        state = referral_state(referral, operation_planned=child_id in planned, today=today)
        overdue = referral is not None and state is ReferralState.OVERDUE
        days = referral.days_overdue(today) if referral is not None and overdue else 0
        standings[child_id] = ReferralStanding(referral, state, days)
    return standings
