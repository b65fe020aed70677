"""What each worklist row shows beside its status (issue 16): GMFCS level, age, the latest
migration percentage per hip with its film date, the last film, days overdue and where the
child's referral stands, as CPUP and HipScreen users read them first.

Read for children a worklist use case (:mod:`hipcare.services.worklist`) has already
authorised and audited as listed, so nothing more is audited here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.referral import ReferralState
from hipcare.domain.surveillance import WorklistStatus
from hipcare.services.ports import UnitOfWork, WorklistEntry
from hipcare.services.ports.worklist_details import HipMigration
from hipcare.services.referrals import ReferralStanding, referral_standings

__all__ = ["HipMigration", "WorklistRow", "age_in_months", "worklist_rows"]


@dataclass(frozen=True)
class WorklistRow:
    """A worklist entry with what its row shows. ``days_overdue``: days past the review
    window's end, or past the day a referral should have been seen by; 0 when not overdue."""

    entry: WorklistEntry
    gmfcs: GMFCS | None
    age_months: int | None
    right: HipMigration | None
    left: HipMigration | None
    last_film: date | None
    days_overdue: int
    referral: ReferralStanding


def age_in_months(date_of_birth: date, today: date) -> int:
    """Whole months from ``date_of_birth`` to ``today`` (0 before the first month's end)."""
    months = (today.year - date_of_birth.year) * 12 + today.month - date_of_birth.month
    if today.day < date_of_birth.day:
        months -= 1
    return max(months, 0)


def _days_overdue(entry: WorklistEntry, standing: ReferralStanding, today: date) -> int:
    if entry.status is not WorklistStatus.OVERDUE:
        return 0
    if standing.state is ReferralState.OVERDUE:
        return standing.days_overdue
    if entry.next_review is None:  # pragma: no cover -- an overdue review has its date
        return 0
    return max((today - entry.next_review).days, 0)


def worklist_rows(
    uow: UnitOfWork, entries: Sequence[WorklistEntry], *, today: date
) -> list[WorklistRow]:
    """The rows of these (already authorised and audited) entries, in the same order."""
    ids = [entry.child_id for entry in entries]
    with uow:
        facts = uow.worklist_details.facts(ids)
        standings = referral_standings(uow, ids, today=today)
    rows = []
    for entry in entries:
        found = facts.get(entry.child_id)
        standing = standings[entry.child_id]
        rows.append(
            WorklistRow(
                entry=entry,
                gmfcs=None if found is None else found.gmfcs,
                age_months=None if found is None else age_in_months(found.date_of_birth, today),
                right=None if found is None else found.right,
                left=None if found is None else found.left,
                last_film=None if found is None else found.last_film,
                days_overdue=_days_overdue(entry, standing, today),
                referral=standing,
            )
        )
    return rows
