"""SQLAlchemy storage of what happened after each operation (issue 19).

Implements :class:`hipcare.services.ports.OutcomeRepository`
(:class:`hipcare.storage.SqlAlchemyUnitOfWork` makes it): one ``operation_outcomes`` row per
operation plan with its complications, readmissions and re-operations as child rows;
saving replaces them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from hipcare.domain.outcomes import Reoperation
from hipcare.services.ports.outcomes import RecordedComplication, RecordedOutcome
from hipcare.storage.tables import (
    OperationComplicationRow,
    OperationOutcomeRow,
    OperationReadmissionRow,
    OperationReoperationRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["SqlAlchemyOutcomeRepository", "recorded_outcomes"]


def recorded_outcomes(
    session: Session, operation_plan_ids: list[int]
) -> dict[int, RecordedOutcome]:
    """The recorded outcomes of these operations, by operation plan id (four queries)."""
    if not operation_plan_ids:
        return {}
    rows = session.scalars(
        select(OperationOutcomeRow).where(
            OperationOutcomeRow.operation_plan_id.in_(operation_plan_ids)
        )
    ).all()
    ids = [row.operation_plan_id for row in rows]
    complications: dict[int, list[RecordedComplication]] = {plan_id: [] for plan_id in ids}
    readmissions: dict[int, list[OperationReadmissionRow]] = {plan_id: [] for plan_id in ids}
    reoperations: dict[int, list[Reoperation]] = {plan_id: [] for plan_id in ids}
    if ids:
        for complication in session.scalars(
            select(OperationComplicationRow)
            .where(OperationComplicationRow.operation_plan_id.in_(ids))
            .order_by(OperationComplicationRow.id)
        ):
            complications[complication.operation_plan_id].append(
                RecordedComplication(
                    complication.grade, complication.description, complication.complication_date
                )
            )
        for readmission in session.scalars(
            select(OperationReadmissionRow)
            .where(OperationReadmissionRow.operation_plan_id.in_(ids))
            .order_by(OperationReadmissionRow.id)
        ):
            readmissions[readmission.operation_plan_id].append(readmission)
        for reoperation in session.scalars(
            select(OperationReoperationRow)
            .where(OperationReoperationRow.operation_plan_id.in_(ids))
            .order_by(OperationReoperationRow.id)
        ):
            reoperations[reoperation.operation_plan_id].append(
                Reoperation(reoperation.side, reoperation.reoperation_date)
            )
    return {
        row.operation_plan_id: RecordedOutcome(
            operation_plan_id=row.operation_plan_id,
            admission_date=row.admission_date,
            discharge_date=row.discharge_date,
            complications=tuple(complications[row.operation_plan_id]),
            readmission_dates=tuple(
                readmission.readmission_date for readmission in readmissions[row.operation_plan_id]
            ),
            return_to_theatre=row.return_to_theatre,
            reoperations=tuple(reoperations[row.operation_plan_id]),
            plate_removal_date=row.plate_removal_date,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
        )
        for row in rows
    }


class SqlAlchemyOutcomeRepository:
    """Implements :class:`hipcare.services.ports.OutcomeRepository` on one ORM session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, operation_plan_id: int) -> RecordedOutcome | None:
        return recorded_outcomes(self._session, [operation_plan_id]).get(operation_plan_id)

    def save(self, outcome: RecordedOutcome) -> RecordedOutcome:
        plan_id = outcome.operation_plan_id
        for child_table in (
            OperationComplicationRow,
            OperationReadmissionRow,
            OperationReoperationRow,
        ):
            self._session.execute(
                delete(child_table).where(child_table.operation_plan_id == plan_id)
            )
        row = self._session.get(OperationOutcomeRow, plan_id)
        if row is None:
            row = OperationOutcomeRow(operation_plan_id=plan_id)
            self._session.add(row)
        row.admission_date = outcome.admission_date
        row.discharge_date = outcome.discharge_date
        row.return_to_theatre = outcome.return_to_theatre
        row.plate_removal_date = outcome.plate_removal_date
        row.recorded_by = outcome.recorded_by
        row.recorded_at = outcome.recorded_at
        # The parent row first: the child rows' foreign keys point at it.
        self._session.flush()
        self._session.add_all(
            [
                *(
                    OperationComplicationRow(
                        operation_plan_id=plan_id,
                        grade=complication.grade,
                        description=complication.description,
                        complication_date=complication.complication_date,
                    )
                    for complication in outcome.complications
                ),
                *(
                    OperationReadmissionRow(operation_plan_id=plan_id, readmission_date=day)
                    for day in outcome.readmission_dates
                ),
                *(
                    OperationReoperationRow(
                        operation_plan_id=plan_id,
                        side=reoperation.side,
                        reoperation_date=reoperation.reoperation_date,
                    )
                    for reoperation in outcome.reoperations
                ),
            ]
        )
        self._session.flush()
        return outcome
