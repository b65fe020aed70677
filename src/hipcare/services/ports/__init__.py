"""What the use cases need from storage: repository protocols and one unit of work.

The services layer declares these, a module per area (``records``, ``audit``, ``worklist``,
``accounts``, ``family``, ``radiographs``, ``child_page``, ``outcomes``) and one
:class:`UnitOfWork` that carries every repository; ``hipcare.storage`` implements them with
SQLAlchemy (``SqlAlchemyUnitOfWork``) and the tests with plain Python objects
(``tests/support/memory.py``). The entry points hand a unit of work to the use cases, so the
use cases never see a session, a query or SQL (the cosmicpython "repository" and "unit of
work" patterns; ADR 12).
"""

from __future__ import annotations

from hipcare.services.ports.accounts import (
    AccountRepository,
    AccountToken,
    SecondFactorSecret,
    SessionRepository,
    SignInFailureRepository,
    TokenPurpose,
)
from hipcare.services.ports.audit import (
    AuditLog,
    SiteAuditQuery,
)
from hipcare.services.ports.child_page import (
    ChildPageQuery,
)
from hipcare.services.ports.family import (
    FamilyRepository,
)
from hipcare.services.ports.outcomes import (
    OutcomeRepository,
    RecordedComplication,
    RecordedOutcome,
)
from hipcare.services.ports.radiographs import (
    RadiographRepository,
)
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
from hipcare.services.ports.referrals import (
    ReferralRepository,
)
from hipcare.services.ports.unit_of_work import (
    UnitOfWork,
)
from hipcare.services.ports.worklist import (
    StoredSurveillanceStatus,
    SurveillanceStatusRepository,
    WorklistCounts,
    WorklistEntry,
    WorklistOpening,
    WorklistOrder,
)

__all__ = [
    "AccountRepository",
    "AccountToken",
    "AlertRepository",
    "AuditLog",
    "CarePlanItemRepository",
    "ChildPageQuery",
    "ChildRepository",
    "ExternalIdentifierRepository",
    "FamilyRepository",
    "OperationPlanRepository",
    "OutcomeRepository",
    "RadiographRepository",
    "RecordedComplication",
    "RecordedOutcome",
    "ReferralRepository",
    "SecondFactorSecret",
    "SessionRepository",
    "SignInFailureRepository",
    "SiteAuditQuery",
    "SiteRepository",
    "StoredSurveillanceStatus",
    "SurveillanceStatusRepository",
    "TokenPurpose",
    "UnitOfWork",
    "UserRepository",
    "VisitRepository",
    "WorklistCounts",
    "WorklistEntry",
    "WorklistOpening",
    "WorklistOrder",
]
