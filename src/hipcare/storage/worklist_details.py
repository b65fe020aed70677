"""The worklist rows' facts (``hipcare.services.ports.WorklistDetailsQuery``): Core reads on
the unit of work's connection, only for the children listed."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

from sqlalchemy import BindParameter, Connection, bindparam, func, select

from hipcare.domain.radiograph import Side
from hipcare.services.ports.worklist_details import HipMigration, WorklistChildFacts
from hipcare.storage.tables import ChildRow, HipMeasuresRow, VisitRow

__all__ = ["SqlAlchemyWorklistDetailsQuery"]

_IDS: BindParameter[int] = bindparam("child_ids", expanding=True)
_CHILDREN = select(ChildRow.id, ChildRow.gmfcs, ChildRow.date_of_birth).where(ChildRow.id.in_(_IDS))
_LAST_FILMS = (
    select(VisitRow.child_id, func.max(VisitRow.visit_date))
    .where(VisitRow.child_id.in_(_IDS), VisitRow.xray)
    .group_by(VisitRow.child_id)
)
# Oldest first: the last row read per child and side is its latest measure.
_MEASURES = (
    select(
        VisitRow.child_id,
        VisitRow.visit_date,
        HipMeasuresRow.side,
        HipMeasuresRow.migration_percentage_reported,
    )
    .join(HipMeasuresRow, HipMeasuresRow.visit_id == VisitRow.id)
    .where(
        VisitRow.child_id.in_(_IDS),
        VisitRow.xray,
        HipMeasuresRow.migration_percentage_reported.is_not(None),
    )
    .order_by(VisitRow.child_id, VisitRow.visit_date, VisitRow.id)
)


class SqlAlchemyWorklistDetailsQuery:
    def __init__(self, connection: Callable[[], Connection]) -> None:
        self._connection = connection

    def facts(self, child_ids: Collection[int]) -> dict[int, WorklistChildFacts]:
        ids = sorted(set(child_ids))
        if not ids:
            return {}
        connection = self._connection()
        parameters = {"child_ids": ids}
        last_films: dict[int, date] = dict(connection.execute(_LAST_FILMS, parameters).all())
        latest: dict[tuple[int, Side], HipMigration] = {}
        for child_id, visit_date, side, percentage in connection.execute(_MEASURES, parameters):
            if percentage is not None:  # the query asks for measured hips only
                latest[child_id, side] = HipMigration(percentage, visit_date)
        return {
            child_id: WorklistChildFacts(
                child_id=child_id,
                gmfcs=gmfcs,
                date_of_birth=born,
                right=latest.get((child_id, Side.RIGHT)),
                left=latest.get((child_id, Side.LEFT)),
                last_film=last_films.get(child_id),
            )
            for child_id, gmfcs, born in connection.execute(_CHILDREN, parameters)
        }
