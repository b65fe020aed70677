"""The SQLAlchemy unit of work: one connection, one transaction, every repository on it.

Implements :class:`hipcare.services.ports.UnitOfWork` (model: cosmicpython
``src/allocation/service_layer/unit_of_work.py``; ADR 12). Each repository is made when a
use case first asks for it, so a view pays only for what it touches:

- the Core repositories (the child page's reads, the family side's "today" reads and audit
  row) run their statements on the unit of work's ``Connection``;
- the ORM repositories share one ``Session`` made on first use, joined to that same
  connection and transaction (ADR 10: a per-view transaction through a ``Session`` cost
  about 130 µs of SQLAlchemy's own work, on a ``Connection`` about 90 µs).

So everything commits or rolls back together, whichever repositories a use case used.
"""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar, cast

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from hipcare.storage.accounts import (
    SqlAlchemyAccountRepository,
    SqlAlchemySessionRepository,
    SqlAlchemySignInFailureRepository,
    SqlAlchemySiteAuditQuery,
)
from hipcare.storage.alert_outbox import SqlAlchemyAlertOutbox
from hipcare.storage.alert_routes import SqlAlchemyAlertRouteRepository
from hipcare.storage.audit_repository import SqlAlchemyAuditLog
from hipcare.storage.child_page import SqlAlchemyChildPageQuery
from hipcare.storage.family import SqlAlchemyFamilyRepository
from hipcare.storage.messages import SqlAlchemyMessageRepository
from hipcare.storage.operation_outcomes import SqlAlchemyOutcomeRepository
from hipcare.storage.operation_repositories import (
    SqlAlchemyAlertRepository,
    SqlAlchemyCarePlanItemRepository,
    SqlAlchemyOperationPlanRepository,
)
from hipcare.storage.people_repositories import SqlAlchemySiteRepository, SqlAlchemyUserRepository
from hipcare.storage.radiographs import SqlAlchemyRadiographRepository
from hipcare.storage.referrals import SqlAlchemyReferralRepository
from hipcare.storage.repositories import (
    SqlAlchemyChildRepository,
    SqlAlchemyExternalIdentifierRepository,
    SqlAlchemyVisitRepository,
)
from hipcare.storage.worklist_details import SqlAlchemyWorklistDetailsQuery
from hipcare.storage.worklist_repository import SqlAlchemySurveillanceStatusRepository

if TYPE_CHECKING:
    from hipcare.services.ports import UnitOfWork

__all__ = ["SqlAlchemyUnitOfWork"]

_Repository = TypeVar("_Repository")


class SqlAlchemyUnitOfWork:
    """Implements :class:`hipcare.services.ports.UnitOfWork` on one connection of
    ``session_factory``'s engine.

    Each ``with`` block checks out a connection; statements begin its transaction, ``commit``
    commits it (after flushing the ORM session, if one was made), and leaving the block rolls
    back anything not committed and returns the connection, so one unit of work can serve
    request after request. The ORM session is made on first use of an ORM repository, bound
    to this connection in its transaction; it never commits or rolls back on its own
    (``join_transaction_mode="rollback_only"`` and this class's ``commit``/``rollback``), and
    it is closed at every commit or rollback, so a repository asked for after a commit gets a
    fresh one.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        bind = session_factory.kw.get("bind")
        if not isinstance(bind, Engine):
            raise TypeError("the session factory must be bound to an engine")
        self._session_factory = session_factory
        self._engine = bind
        self._connection: Connection | None = None
        self._session: Session | None = None
        self._orm_repositories: dict[type, object] = {}

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already in use; nest a new one instead")
        self._connection = self._engine.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is None:  # pragma: no cover -- only reachable by calling __exit__ by hand
            return
        try:
            self._close_session()
        finally:
            # Closing a connection rolls back its transaction, if one is open.
            connection.close()

    def connection(self) -> Connection:
        """The unit of work's connection (its transaction begins with the first statement)."""
        if self._connection is None:
            raise RuntimeError("use the unit of work in a 'with' block")
        return self._connection

    def orm_session(self) -> Session:
        """An ORM session in this connection's transaction, made on first use."""
        if self._session is None:
            connection = self.connection()
            if not connection.in_transaction():
                connection.begin()
            self._session = self._session_factory(
                bind=connection, join_transaction_mode="rollback_only"
            )
        return self._session

    def _close_session(self) -> None:
        session, self._session = self._session, None
        self._orm_repositories.clear()
        if session is not None:
            session.close()

    def _orm_repository(self, kind: type[_Repository]) -> _Repository:
        """The ORM repository of ``kind`` on this transaction's session, made on first use."""
        found = self._orm_repositories.get(kind)
        if found is None:
            found = self._orm_repositories[kind] = kind(self.orm_session())  # type: ignore[call-arg]  # every ORM repository takes the session
        return cast("_Repository", found)

    def commit(self) -> None:
        connection = self.connection()
        if self._session is not None:
            self._session.flush()
        self._close_session()
        connection.commit()

    def rollback(self) -> None:
        connection = self.connection()
        self._close_session()
        connection.rollback()

    # --- Core repositories: made once, they ask for the connection (or session) per statement

    @cached_property
    def child_pages(self) -> SqlAlchemyChildPageQuery:
        return SqlAlchemyChildPageQuery(self.connection)

    @cached_property
    def worklist_details(self) -> SqlAlchemyWorklistDetailsQuery:
        return SqlAlchemyWorklistDetailsQuery(self.connection)

    @cached_property
    def family(self) -> SqlAlchemyFamilyRepository:
        return SqlAlchemyFamilyRepository(self.orm_session, self.connection)

    # --- ORM repositories: one per transaction, on its session

    @property
    def sites(self) -> SqlAlchemySiteRepository:
        return self._orm_repository(SqlAlchemySiteRepository)

    @property
    def users(self) -> SqlAlchemyUserRepository:
        return self._orm_repository(SqlAlchemyUserRepository)

    @property
    def children(self) -> SqlAlchemyChildRepository:
        return self._orm_repository(SqlAlchemyChildRepository)

    @property
    def visits(self) -> SqlAlchemyVisitRepository:
        return self._orm_repository(SqlAlchemyVisitRepository)

    @property
    def operation_plans(self) -> SqlAlchemyOperationPlanRepository:
        return self._orm_repository(SqlAlchemyOperationPlanRepository)

    @property
    def care_plan_items(self) -> SqlAlchemyCarePlanItemRepository:
        return self._orm_repository(SqlAlchemyCarePlanItemRepository)

    @property
    def alerts(self) -> SqlAlchemyAlertRepository:
        return self._orm_repository(SqlAlchemyAlertRepository)

    @property
    def audit(self) -> SqlAlchemyAuditLog:
        return self._orm_repository(SqlAlchemyAuditLog)

    @property
    def external_identifiers(self) -> SqlAlchemyExternalIdentifierRepository:
        return self._orm_repository(SqlAlchemyExternalIdentifierRepository)

    @property
    def surveillance_status(self) -> SqlAlchemySurveillanceStatusRepository:
        return self._orm_repository(SqlAlchemySurveillanceStatusRepository)

    @property
    def web_sessions(self) -> SqlAlchemySessionRepository:
        return self._orm_repository(SqlAlchemySessionRepository)

    @property
    def sign_in_failures(self) -> SqlAlchemySignInFailureRepository:
        return self._orm_repository(SqlAlchemySignInFailureRepository)

    @property
    def accounts(self) -> SqlAlchemyAccountRepository:
        return self._orm_repository(SqlAlchemyAccountRepository)

    @property
    def site_audit(self) -> SqlAlchemySiteAuditQuery:
        return self._orm_repository(SqlAlchemySiteAuditQuery)

    @property
    def radiographs(self) -> SqlAlchemyRadiographRepository:
        return self._orm_repository(SqlAlchemyRadiographRepository)

    @property
    def alert_outbox(self) -> SqlAlchemyAlertOutbox:
        return self._orm_repository(SqlAlchemyAlertOutbox)

    @property
    def alert_routes(self) -> SqlAlchemyAlertRouteRepository:
        return self._orm_repository(SqlAlchemyAlertRouteRepository)

    @property
    def referrals(self) -> SqlAlchemyReferralRepository:
        return self._orm_repository(SqlAlchemyReferralRepository)

    @property
    def operation_outcomes(self) -> SqlAlchemyOutcomeRepository:
        return self._orm_repository(SqlAlchemyOutcomeRepository)

    @property
    def messages(self) -> SqlAlchemyMessageRepository:
        return self._orm_repository(SqlAlchemyMessageRepository)


if TYPE_CHECKING:
    # mypy proves here that this class keeps every promise of the services' protocol.
    _KEEPS_THE_PROTOCOL: type[UnitOfWork] = SqlAlchemyUnitOfWork
