"""How a FHIR import refuses to guess who a resource is (issue 15).

A Patient whose identifier names a stored child only matches that child when the family
name, given name and birth date agree (case and accents folded) and the site is the same;
any disagreement is a *conflict*: reported, nothing changed, left for a clinician to
resolve. Two Patients of one bundle claiming one identifier are both conflicts. The
measures of one child's day are judged one by one, so a bad value rejects only itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from hipcare.domain.errors import HipcareError
from hipcare.domain.exchange import Identifier, MeasureCandidate, PatientCandidate, Rejection
from hipcare.domain.identity import folded_name
from hipcare.domain.radiograph import Side
from hipcare.domain.records import Child, HipMeasures

__all__ = [
    "ImportConflictError",
    "identifiers_claimed_twice",
    "identity_disagreement",
    "measures_on_their_own",
]


class ImportConflictError(HipcareError):
    """The Patient disagrees with the child its identifier names: nothing is changed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def identity_disagreement(stored: Child, parsed: Child) -> str | None:
    """Why ``parsed`` cannot be the stored child its identifier names, if it cannot."""
    differing = [
        label
        for label, same in (
            ("family name", folded_name(stored.family_name) == folded_name(parsed.family_name)),
            ("given name", folded_name(stored.given_name) == folded_name(parsed.given_name)),
            ("birth date", stored.date_of_birth == parsed.date_of_birth),
            ("site", stored.site_id == parsed.site_id),
        )
        if not same
    ]
    if not differing:
        return None
    return (
        f"its identifier names child {stored.id}, whose {', '.join(differing)} "
        "differ; nothing was changed: a clinician must check which child this is"
    )


def identifiers_claimed_twice(patients: Sequence[PatientCandidate]) -> dict[int, str]:
    """Patients of one bundle that claim an identifier another of its Patients claims too."""
    claims: dict[Identifier, list[int]] = {}
    for candidate in patients:
        for identifier in dict.fromkeys(candidate.identifiers):
            claims.setdefault(identifier, []).append(candidate.index)
    reasons: dict[int, str] = {}
    for (system, value), indexes in claims.items():
        if len(indexes) > 1:
            for index in indexes:
                others = ", ".join(str(other) for other in indexes if other != index)
                reasons.setdefault(
                    index,
                    f"identifier {system}|{value} is claimed by entry {others} of this "
                    "bundle too; neither was imported",
                )
    return reasons


def measures_on_their_own(
    group: Sequence[MeasureCandidate],
) -> tuple[list[MeasureCandidate], list[Rejection]]:
    """The measures of one child's day that stand on their own; each other one is listed as
    rejected with its own reason (never a sibling's), so one bad value drops only itself."""
    usable: list[MeasureCandidate] = []
    rejected: list[Rejection] = []
    first_of: dict[tuple[Side, str], int] = {}
    for measure in group:
        try:
            HipMeasures(side=measure.side, **{measure.measure: measure.value})
        except HipcareError as error:
            rejected.append(Rejection(measure.index, "Observation", str(error)))
            continue
        key = (measure.side, measure.measure)
        if key in first_of:
            rejected.append(
                Rejection(
                    measure.index,
                    "Observation",
                    f"entry {first_of[key]} gives the same measure of the {measure.side.value} "
                    "hip on the same day; one visit holds one value of each, so this one was "
                    "not imported",
                )
            )
            continue
        first_of[key] = measure.index
        usable.append(measure)
    return usable, rejected
