"""The SQLAlchemy unit of work: one session, one transaction, every repository on it."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

from sqlalchemy.orm import Session, sessionmaker

from hipcare.storage.repositories import (
    SqlAlchemyAlertRepository,
    SqlAlchemyAuditLog,
    SqlAlchemyCarePlanItemRepository,
    SqlAlchemyChildRepository,
    SqlAlchemyExternalIdentifierRepository,
    SqlAlchemyOperationPlanRepository,
    SqlAlchemySiteRepository,
    SqlAlchemySurveillanceStatusRepository,
    SqlAlchemyUserRepository,
    SqlAlchemyVisitRepository,
)

if TYPE_CHECKING:
    from hipcare.services.ports import UnitOfWork

__all__ = ["SqlAlchemyUnitOfWork"]


class SqlAlchemyUnitOfWork:
    """Implements :class:`hipcare.services.ports.UnitOfWork` over ``session_factory``.

    Each ``with`` block opens a new session; leaving it rolls back anything not committed
    and closes the session, so one unit of work can serve request after request.
    """

    sites: SqlAlchemySiteRepository
    users: SqlAlchemyUserRepository
    children: SqlAlchemyChildRepository
    visits: SqlAlchemyVisitRepository
    operation_plans: SqlAlchemyOperationPlanRepository
    care_plan_items: SqlAlchemyCarePlanItemRepository
    alerts: SqlAlchemyAlertRepository
    audit: SqlAlchemyAuditLog
    external_identifiers: SqlAlchemyExternalIdentifierRepository
    surveillance_status: SqlAlchemySurveillanceStatusRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use; nest a new one instead")
        session = self._session_factory()
        self._session = session
        self.sites = SqlAlchemySiteRepository(session)
        self.users = SqlAlchemyUserRepository(session)
        self.children = SqlAlchemyChildRepository(session)
        self.visits = SqlAlchemyVisitRepository(session)
        self.operation_plans = SqlAlchemyOperationPlanRepository(session)
        self.care_plan_items = SqlAlchemyCarePlanItemRepository(session)
        self.alerts = SqlAlchemyAlertRepository(session)
        self.audit = SqlAlchemyAuditLog(session)
        self.external_identifiers = SqlAlchemyExternalIdentifierRepository(session)
        self.surveillance_status = SqlAlchemySurveillanceStatusRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:  # pragma: no cover -- only reachable by calling __exit__ by hand
            return
        try:
            session.rollback()
        finally:
            session.close()

    def _current(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work in a 'with' block")
        return self._session

    def commit(self) -> None:
        self._current().commit()

    def rollback(self) -> None:
        self._current().rollback()


if TYPE_CHECKING:
    # mypy proves here that this class keeps every promise of the services' protocol.
    _KEEPS_THE_PROTOCOL: type[UnitOfWork] = SqlAlchemyUnitOfWork
