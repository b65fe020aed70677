"""The unit of work: one transaction over every repository the use cases need.

Model: cosmicpython ``src/allocation/service_layer/unit_of_work.py`` (one abstract unit of
work holding the repositories, ``commit``/``rollback``, a context manager that rolls back
what was not committed).
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from hipcare.services.ports.accounts import (
    AccountRepository,
    SessionRepository,
    SignInFailureRepository,
)
from hipcare.services.ports.alert_outbox import AlertOutbox
from hipcare.services.ports.alert_routes import AlertRouteRepository
from hipcare.services.ports.audit import AuditLog, SiteAuditQuery
from hipcare.services.ports.child_page import ChildPageQuery
from hipcare.services.ports.family import FamilyRepository
from hipcare.services.ports.messages import MessageRepository
from hipcare.services.ports.outcomes import OutcomeRepository
from hipcare.services.ports.radiographs import RadiographRepository
from hipcare.services.ports.records import (
    AlertRepository,
    CarePlanItemRepository,
    ChildRepository,
    ExternalIdentifierRepository,
    OperationPlanRepository,
    SiteRepository,
    UserRepository,
    VisitRepository,
)
from hipcare.services.ports.referrals import ReferralRepository
from hipcare.services.ports.worklist import SurveillanceStatusRepository
from hipcare.services.ports.worklist_details import WorklistDetailsQuery

__all__ = ["UnitOfWork"]


class UnitOfWork(Protocol):
    """One transaction over every repository: ``with uow: ...; uow.commit()``.

    Leaving the ``with`` block without ``commit()`` rolls back whatever was not committed.
    Every repository of every area is an attribute; an implementation may make each one
    only when it is first asked for (``hipcare.storage.SqlAlchemyUnitOfWork`` does).
    """

    @property
    def sites(self) -> SiteRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def children(self) -> ChildRepository: ...

    @property
    def visits(self) -> VisitRepository: ...

    @property
    def operation_plans(self) -> OperationPlanRepository: ...

    @property
    def care_plan_items(self) -> CarePlanItemRepository: ...

    @property
    def alerts(self) -> AlertRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def external_identifiers(self) -> ExternalIdentifierRepository: ...

    @property
    def surveillance_status(self) -> SurveillanceStatusRepository: ...

    @property
    def web_sessions(self) -> SessionRepository: ...

    @property
    def sign_in_failures(self) -> SignInFailureRepository: ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def site_audit(self) -> SiteAuditQuery: ...

    @property
    def family(self) -> FamilyRepository: ...

    @property
    def radiographs(self) -> RadiographRepository: ...

    @property
    def child_pages(self) -> ChildPageQuery: ...

    @property
    def referrals(self) -> ReferralRepository: ...

    @property
    def worklist_details(self) -> WorklistDetailsQuery: ...

    @property
    def alert_outbox(self) -> AlertOutbox: ...

    @property
    def alert_routes(self) -> AlertRouteRepository: ...

    @property
    def operation_outcomes(self) -> OutcomeRepository: ...

    @property
    def messages(self) -> MessageRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
