"""What hipcare exchanges with other systems: a child's whole record for export, and the
candidates an import reads from a bundle before the use cases check and store them.

Plain values (standard library and domain only), so that the FHIR adapter
(:mod:`hipcare.interop.fhir`) and the use cases (:mod:`hipcare.services.fhir`) share them
without the adapter importing the services.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.outcomes import HipOutcome, OperationOutcome
from hipcare.domain.pathway import CareFacts
from hipcare.domain.radiograph import Side
from hipcare.domain.records import (
    CarePlanItemState,
    Child,
    ExternalIdentifier,
    OperationPlan,
    Site,
    VisitRecord,
)

__all__ = [
    "HIP_MEASURE_FIELDS",
    "ChildRecord",
    "Conflict",
    "ContactCandidate",
    "Identifier",
    "MeasureCandidate",
    "OperationRecord",
    "PatientCandidate",
    "Rejection",
]

#: The measure fields an imported Observation may set (``HipMeasures`` field names).
HIP_MEASURE_FIELDS = (
    "migration_percentage_reported",
    "acetabular_index_deg",
    "neck_shaft_angle_deg",
    "head_shaft_angle_deg",
)

Identifier = tuple[str, str]
"""An identifier another system gave a record: (system URI, value)."""


@dataclass(frozen=True)
class OperationRecord:
    """An operation plan, the state of its care-plan items (by due date), once the
    pathway was started for it the facts the pathway engine needs (for the booklet), and
    once recorded what happened after it (``outcome``: the stay, complications, ...)."""

    plan: OperationPlan
    items: Sequence[CarePlanItemState] = ()
    facts: CareFacts | None = None
    outcome: OperationOutcome | None = None
    hips: Sequence[HipOutcome] = ()
    """Each operated hip's migration percentage before and after (from ``outcome`` and the
    child's films), when the outcome is recorded."""


@dataclass(frozen=True)
class ChildRecord:
    """Everything hipcare holds about one child that an export maps.

    ``identifiers`` are identifiers other systems gave the child (from an earlier import).
    """

    site: Site
    child: Child
    visits: Sequence[VisitRecord] = ()
    operations: Sequence[OperationRecord] = ()
    identifiers: Sequence[ExternalIdentifier] = ()


@dataclass(frozen=True)
class Rejection:
    """A resource of the bundle that was not imported: its index, type and why."""

    index: int
    resource_type: str
    reason: str


@dataclass(frozen=True)
class Conflict:
    """A resource that disagrees with what hipcare holds (or with another entry of the
    bundle): reported, nothing changed, left for a clinician to resolve.

    ``id`` is the resource's ``id`` in the bundle, when it has one.
    """

    index: int
    resource_type: str
    id: str | None
    reason: str


@dataclass(frozen=True)
class PatientCandidate:
    """A Patient read from a bundle: its identifiers and a registration form for
    :func:`hipcare.services.records.parse_child` (without contacts). ``gmfcs`` is set when
    the bundle held a GMFCS Observation for this patient (``gmfcs_index`` is its index)."""

    index: int
    identifiers: tuple[Identifier, ...]
    form: Mapping[str, Any]
    gmfcs: GMFCS | None = None
    gmfcs_index: int | None = None
    resource_id: str | None = None


@dataclass(frozen=True)
class ContactCandidate:
    """A RelatedPerson read from a bundle: a contact of the patient at ``patient_index``."""

    index: int
    patient_index: int
    name: str
    relationship: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class MeasureCandidate:
    """One measure of one hip on one day, read from an Observation.

    The subject is either a Patient of the same bundle (``patient_index``) or a child
    hipcare already knows by an identifier (``patient_identifier``). ``measure`` is one of
    :data:`HIP_MEASURE_FIELDS`; ``raw`` is the raw migration percentage when given.
    """

    index: int
    identifier: Identifier
    visit_date: date
    side: Side
    measure: str
    value: float
    raw: float | None = None
    patient_index: int | None = None
    patient_identifier: Identifier | None = None
