"""What the outcome use cases need from storage: one recorded outcome per operation.

The values that cross the port live here too: :class:`RecordedOutcome` (what a surgeon or
nurse recorded after an operation: the stay, complications, readmissions, return to theatre,
re-operations and plate removal) and :class:`RecordedComplication`. They are checked by
:mod:`hipcare.services.operation_outcomes` (through the domain's
:class:`hipcare.domain.outcomes.OperationOutcome`) before they are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from hipcare.domain.outcomes import ComplicationGrade, Reoperation

__all__ = ["OutcomeRepository", "RecordedComplication", "RecordedOutcome"]


@dataclass(frozen=True)
class RecordedComplication:
    """A complication as recorded: the clinician's grade (modified Clavien-Dindo-Sink, Dodwell
    et al. 2018), a short description (at most 200 characters) and the day it happened."""

    grade: ComplicationGrade
    description: str
    complication_date: date


@dataclass(frozen=True)
class RecordedOutcome:
    """What happened after the operation ``operation_plan_id`` as last recorded.

    None and empty tuples mean "not recorded". ``recorded_by`` is the user id who saved it,
    at ``recorded_at`` (UTC).
    """

    operation_plan_id: int
    admission_date: date | None
    discharge_date: date | None
    complications: tuple[RecordedComplication, ...]
    readmission_dates: tuple[date, ...]
    return_to_theatre: bool | None
    reoperations: tuple[Reoperation, ...]
    plate_removal_date: date | None
    recorded_by: int
    recorded_at: datetime


class OutcomeRepository(Protocol):
    def get(self, operation_plan_id: int) -> RecordedOutcome | None:
        """The outcome recorded for the operation, or None when nothing is recorded yet."""
        ...

    def save(self, outcome: RecordedOutcome) -> RecordedOutcome:
        """Store ``outcome``, replacing whatever was recorded for that operation before."""
        ...
