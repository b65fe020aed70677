"""The site outcomes report's read query: children, their films and done operations.

Implements :class:`hipcare.services.outcomes_report.OutcomeRecordsSource` from the existing
tables only (``children``, ``visits`` with ``hip_measures``, ``operation_plans``): a film is
a visit with an X-ray and a reported migration percentage; an operation is a plan marked
done with its surgery date; a later done operation of the same child on an operated hip is
that hip's re-operation. The stay, complications (days after surgery), readmissions, return
to theatre, recorded re-operations and plate removal come from the recorded outcomes
(``operation_outcomes`` and its child tables, :mod:`hipcare.storage.operation_outcomes`);
an operation without one has them unknown (None), and the report leaves them out of its
figures. Read only; one session per call.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.outcomes import (
    Complication,
    HipFilm,
    OperationOutcome,
    OutcomeChild,
    Reoperation,
    SiteRecords,
)
from hipcare.domain.pathway import Procedure, Sides
from hipcare.domain.radiograph import Side
from hipcare.domain.records import OperationStatus
from hipcare.services.ports import RecordedOutcome
from hipcare.storage.operation_outcomes import recorded_outcomes
from hipcare.storage.tables import ChildRow, OperationPlanRow, SiteRow, VisitRow

__all__ = ["SqlAlchemyOutcomeRecords"]


def _sides(sides: Sides) -> tuple[Side, ...]:
    if sides is Sides.BOTH:
        return (Side.RIGHT, Side.LEFT)
    return (Side(sides.value),)


def _recorded_facts(outcome: RecordedOutcome, surgery: date) -> dict[str, Any]:
    """The recorded outcome's facts as :class:`OperationOutcome` keyword arguments."""
    return {
        "admission_date": outcome.admission_date,
        "discharge_date": outcome.discharge_date,
        "complications": tuple(
            Complication(item.grade, (item.complication_date - surgery).days)
            for item in outcome.complications
        ),
        "readmission_dates": outcome.readmission_dates,
        "return_to_theatre": outcome.return_to_theatre,
        "plate_removal_date": outcome.plate_removal_date,
    }


class SqlAlchemyOutcomeRecords:
    """A site's outcome records read from the database through ``session_factory``."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def site_records(self, site_id: str) -> SiteRecords:
        with self._session_factory() as session:
            if session.get(SiteRow, site_id) is None:
                raise InvalidInputError("--site", f"no site has the id {site_id!r}")
            children = session.scalars(
                select(ChildRow)
                # A duplicate merged into another child is counted as that child.
                .where(ChildRow.site_id == site_id, ChildRow.merged_into_id.is_(None))
                .order_by(ChildRow.id)
            ).all()
            child_ids = [child.id for child in children]
            films: dict[int, list[HipFilm]] = {child_id: [] for child_id in child_ids}
            visits = session.scalars(
                select(VisitRow)
                .join(ChildRow, VisitRow.child_id == ChildRow.id)
                .where(ChildRow.site_id == site_id, VisitRow.xray.is_(True))
            ).all()
            for visit in visits:
                for hip in visit.hips:
                    if hip.migration_percentage_reported is not None:
                        films[visit.child_id].append(
                            HipFilm(hip.side, visit.visit_date, hip.migration_percentage_reported)
                        )
            plans = session.scalars(
                select(OperationPlanRow)
                .join(ChildRow, OperationPlanRow.child_id == ChildRow.id)
                .where(
                    ChildRow.site_id == site_id,
                    OperationPlanRow.status == OperationStatus.DONE,
                    OperationPlanRow.surgery_date.is_not(None),
                )
                .order_by(OperationPlanRow.surgery_date, OperationPlanRow.id)
            ).all()
            outcome_children = tuple(
                OutcomeChild(child.id, child.date_of_birth, child.gmfcs, tuple(films[child.id]))
                for child in children
            )
            plans_of_child: dict[int, list[OperationPlanRow]] = {}
            for plan in plans:
                plans_of_child.setdefault(plan.child_id, []).append(plan)
            recorded = recorded_outcomes(session, [plan.id for plan in plans])
            operations = []
            for plan in plans:
                assert plan.surgery_date is not None  # noqa: S101 -- the query filters on it
                sides = _sides(plan.sides)
                reoperations = []
                for side in sides:
                    later = next(
                        (
                            other.surgery_date
                            for other in plans_of_child[plan.child_id]
                            if other.surgery_date is not None
                            and other.surgery_date > plan.surgery_date
                            and side in _sides(other.sides)
                        ),
                        None,
                    )
                    if later is not None:
                        reoperations.append(Reoperation(side, later))
                outcome = recorded.get(plan.id)
                if outcome is not None:
                    # A re-operation recorded by hand counts too (one done elsewhere, say).
                    reoperations += [
                        reoperation
                        for reoperation in outcome.reoperations
                        if reoperation not in reoperations
                    ]
                operations.append(
                    OperationOutcome(
                        operation_id=plan.id,
                        child_id=plan.child_id,
                        sides=sides,
                        procedures=tuple(Procedure(value) for value in plan.procedures),
                        surgery_date=plan.surgery_date,
                        reoperations=tuple(reoperations),
                        **({} if outcome is None else _recorded_facts(outcome, plan.surgery_date)),
                    )
                )
        return SiteRecords(site_id, outcome_children, tuple(operations))
