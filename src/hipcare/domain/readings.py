"""When a film's reading counts as the record's measure: provisional until confirmed.

A saved reading is **provisional** until either a surgeon confirms it
(:attr:`ReadingConfirmation.SURGEON`) or a second reading of the same film by another
clinician agrees with it (:attr:`ReadingConfirmation.SECOND_READING`): for every hip measured
in both readings the two migration percentages differ by no more than the published change
error, 8.3 points (:data:`hipcare.domain.radiograph.MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS`;
Parrott et al., J Pediatr Orthop 2002;22:660-667: two measurements of one hip further apart
than this cannot be told to measure the same thing).

While a film has only provisional readings, its first reading stands as the record's measure
and the surveillance engine uses it, marked provisional on every page (a missed rising MP is
the harm to avoid; docs/radiographs.md). Once a reading is confirmed, it is the record's
measure.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from hipcare.domain.radiograph import MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS

__all__ = [
    "READINGS_AGREE_WITHIN_POINTS",
    "ReadingConfirmation",
    "readings_agree",
]

READINGS_AGREE_WITHIN_POINTS = MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS
"""Largest difference (percentage points) in one hip's MP between two readings that agree:
the 95% limit for a change between two measurements (Parrott et al. 2002)."""


class ReadingConfirmation(StrEnum):
    """How a reading was confirmed."""

    SURGEON = "surgeon"
    SECOND_READING = "second-reading"


def readings_agree(first: Mapping[str, float], second: Mapping[str, float]) -> bool:
    """Whether two readings of one film agree: migration percentages by side ("right",
    "left"); at least one hip measured in both, and every hip measured in both within
    :data:`READINGS_AGREE_WITHIN_POINTS`."""
    shared = [side for side in first if side in second]
    if not shared:
        return False
    # Rounded so that 38.3 - 30.0 (8.299999999999997 in binary) counts as the 8.3 it is.
    return all(
        round(abs(first[side] - second[side]), 9) <= READINGS_AGREE_WITHIN_POINTS for side in shared
    )
