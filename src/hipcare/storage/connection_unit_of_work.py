"""A unit of work on one Core connection, for the per-view transaction of the cached pages.

The cached child page and the family "today" page run one short transaction per view
(session check, authorisation, one audit row, the record's version; ADR 10). Through an ORM
``Session`` that transaction cost about 130 µs of SQLAlchemy's own work, on a Core
``Connection`` about 90 µs. This unit of work holds the connection and its transaction; an
ORM ``Session`` joined to that same connection and transaction is made only when a rare path
asks for an ORM repository (a refusal to audit, a session to touch or delete, a page to
build), so everything still commits or rolls back together.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar, cast

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from hipcare.storage.accounts import (
    SqlAlchemySessionRepository,
    SqlAlchemySignInFailureRepository,
    SqlAlchemySiteAuditQuery,
)
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
    from hipcare.services.accounts import AccountsUnitOfWork

__all__ = ["SqlAlchemyConnectionUnitOfWork"]

_Repository = TypeVar("_Repository")


class SqlAlchemyConnectionUnitOfWork:
    """Implements :class:`hipcare.services.accounts.AccountsUnitOfWork` on one connection of
    ``session_factory``'s engine.

    Each ``with`` block checks out a connection; statements begin its transaction, ``commit``
    commits it (after flushing the ORM session, if one was made), and leaving the block rolls
    back anything not committed and returns the connection. The ORM session is made on first
    use of an ORM repository, bound to this connection in its transaction; it never commits or
    rolls back on its own (``join_transaction_mode="rollback_only"`` and this class's
    ``commit``/``rollback``), and it is closed at every commit or rollback, so a repository
    asked for after a commit gets a fresh one.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        bind = session_factory.kw.get("bind")
        if not isinstance(bind, Engine):
            raise TypeError("the session factory must be bound to an engine")
        self._session_factory = session_factory
        self._engine = bind
        self._connection: Connection | None = None
        self._session: Session | None = None
        self._repositories: dict[type, object] = {}

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
        self._repositories.clear()
        if session is not None:
            session.close()

    def _repository(self, kind: type[_Repository]) -> _Repository:
        found = self._repositories.get(kind)
        if found is None:
            found = self._repositories[kind] = kind(self.orm_session())  # type: ignore[call-arg]  # every ORM repository takes the session
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

    @property
    def sites(self) -> SqlAlchemySiteRepository:
        return self._repository(SqlAlchemySiteRepository)

    @property
    def users(self) -> SqlAlchemyUserRepository:
        return self._repository(SqlAlchemyUserRepository)

    @property
    def children(self) -> SqlAlchemyChildRepository:
        return self._repository(SqlAlchemyChildRepository)

    @property
    def visits(self) -> SqlAlchemyVisitRepository:
        return self._repository(SqlAlchemyVisitRepository)

    @property
    def operation_plans(self) -> SqlAlchemyOperationPlanRepository:
        return self._repository(SqlAlchemyOperationPlanRepository)

    @property
    def care_plan_items(self) -> SqlAlchemyCarePlanItemRepository:
        return self._repository(SqlAlchemyCarePlanItemRepository)

    @property
    def alerts(self) -> SqlAlchemyAlertRepository:
        return self._repository(SqlAlchemyAlertRepository)

    @property
    def audit(self) -> SqlAlchemyAuditLog:
        return self._repository(SqlAlchemyAuditLog)

    @property
    def external_identifiers(self) -> SqlAlchemyExternalIdentifierRepository:
        return self._repository(SqlAlchemyExternalIdentifierRepository)

    @property
    def surveillance_status(self) -> SqlAlchemySurveillanceStatusRepository:
        return self._repository(SqlAlchemySurveillanceStatusRepository)

    @property
    def web_sessions(self) -> SqlAlchemySessionRepository:
        return self._repository(SqlAlchemySessionRepository)

    @property
    def sign_in_failures(self) -> SqlAlchemySignInFailureRepository:
        return self._repository(SqlAlchemySignInFailureRepository)

    @property
    def site_audit(self) -> SqlAlchemySiteAuditQuery:
        return self._repository(SqlAlchemySiteAuditQuery)


if TYPE_CHECKING:
    # mypy proves here that this class keeps every promise of the services' protocol.
    _KEEPS_THE_PROTOCOL: type[AccountsUnitOfWork] = SqlAlchemyConnectionUnitOfWork
