"""Read and search under ``/fhir``: hipcare's records as FHIR R4 resources.

The same rules as the rest of the app: a signed-in session (401 without one) of the care
team (a family account gets 403), only children of the user's sites (403 otherwise, and the
refused attempt is audited), and every child read or listed is audited (ids only). The
mapping is ``hipcare.interop.fhir``; the use cases are ``hipcare.services.fhir`` and
``hipcare.services.records``. Only GET: changing records through FHIR is ``hipcare fhir
import`` on the command line.

- ``GET /fhir/metadata``: the CapabilityStatement (no sign-in needed).
- ``GET /fhir/Patient?name=...`` or ``?identifier=system|value``: a searchset Bundle.
- ``GET /fhir/Patient/child-{id}``: one Patient.
- ``GET /fhir/Patient/child-{id}/$everything``: the child's whole record as a Bundle
  (with their home diary: QuestionnaireResponses and pain Observations).
- ``GET /fhir/Observation?patient=Patient/child-{id}``: the child's measures.
- ``GET /fhir/PlanDefinition/vdro-pathway``: the pathway.

Errors are OperationOutcome resources.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from hipcare.domain.diary import DiaryEntry
from hipcare.domain.errors import HipcareError, InvalidInputError
from hipcare.interop.fhir import codes, mapping
from hipcare.interop.fhir.diary import diary_resources
from hipcare.services.access import PermissionDeniedError
from hipcare.services.accounts import SessionUser
from hipcare.services.fhir import (
    ChildRecord,
    export_child,
    export_diary,
    find_child_by_identifier,
)
from hipcare.services.records import find_children
from hipcare.web.auth import staff_api_user
from hipcare.web.context import Context, WebContext
from hipcare.web.models import Problem, parse_record_id
from hipcare.web.rendering import user_id

__all__ = ["router"]

FHIR_JSON = "application/fhir+json"

_OPERATION_OUTCOME_SCHEMA = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array"}},
}
_OUTCOMES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": f"{meaning} (an OperationOutcome)",
        "content": {FHIR_JSON: {"schema": _OPERATION_OUTCOME_SCHEMA}},
    }
    for status, meaning in (
        (400, "the search or id is not one hipcare answers"),
        (403, "not a child of your sites"),
        (404, "no such resource"),
    )
}
_OUTCOMES[401] = {"model": Problem, "description": "not signed in"}
# A family account is refused before any use case runs, by the app's own handler (as 401 is).
_OUTCOMES[403]["description"] += "; or a family account (a Problem, as JSON)"
_OUTCOMES[403]["content"]["application/json"] = {"schema": {"$ref": "#/components/schemas/Problem"}}

router = APIRouter(prefix="/fhir", tags=["fhir"], responses=_OUTCOMES)

User = Annotated[SessionUser, Depends(staff_api_user)]
_T = TypeVar("_T")


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def _outcome(status: int, code: str, text: str) -> FhirResponse:
    return FhirResponse(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": text}],
        },
        status_code=status,
    )


class _OutcomeError(Exception):
    def __init__(self, response: FhirResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def _use_case(call: Callable[[], _T]) -> _T:
    """Run a use case; its refusals become OperationOutcome responses."""
    try:
        return call()
    except PermissionDeniedError as error:
        raise _OutcomeError(_outcome(403, "forbidden", str(error))) from None
    except InvalidInputError as error:
        status = 404 if error.field in ("child", "child_id") else 400
        raise _OutcomeError(
            _outcome(status, "not-found" if status == 404 else "invalid", str(error))
        ) from None
    except HipcareError as error:
        raise _OutcomeError(_outcome(400, "invalid", str(error))) from None


def _child_id(patient_id: str) -> int:
    prefix = "child-"
    child_id = parse_record_id(patient_id.removeprefix(prefix))
    if not patient_id.startswith(prefix) or child_id is None:
        raise _OutcomeError(_outcome(404, "not-found", f"no Patient {patient_id!r}"))
    return child_id


def _local(context: WebContext) -> codes.LocalIdentifiers:
    """This installation's base URL and identifier systems (``HIPCARE_FHIR_BASE_URL``)."""
    return codes.LocalIdentifiers.from_base_url(context.settings.fhir_base_url)


def _searchset(resources: Sequence[dict[str, Any]], context: WebContext) -> dict[str, Any]:
    document = mapping.bundle(resources, bundle_type="searchset", base_url=_local(context).base_url)
    document["total"] = len(resources)
    for entry in document["entry"]:
        entry["search"] = {"mode": "match"}
    return document


def _record(user: SessionUser, context: WebContext, patient_id: str) -> ChildRecord:
    child_id = _child_id(patient_id)
    return _use_case(
        lambda: export_child(
            context.unit_of_work(),
            user_id(user),
            child_id,
            now=context.now(),
            thresholds=context.content.outcome_content.thresholds,
        )
    )


@router.get("/metadata", response_class=FhirResponse)
async def metadata() -> FhirResponse:
    """The CapabilityStatement: what this server reads and searches."""
    search = [{"name": "name", "type": "string"}, {"name": "identifier", "type": "token"}]
    return FhirResponse(
        {
            "resourceType": "CapabilityStatement",
            "status": "draft",
            "date": "2026-11-25",
            "kind": "instance",
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "implementation": {"description": "hipcare: read and search (sign-in required)"},
            "rest": [
                {
                    "mode": "server",
                    "resource": [
                        {
                            "type": "Patient",
                            "interaction": [{"code": "read"}, {"code": "search-type"}],
                            "searchParam": search,
                            "operation": [
                                {
                                    "name": "everything",
                                    "definition": (
                                        "http://hl7.org/fhir/OperationDefinition/Patient-everything"
                                    ),
                                }
                            ],
                        },
                        {
                            "type": "Observation",
                            "interaction": [{"code": "search-type"}],
                            "searchParam": [{"name": "patient", "type": "reference"}],
                        },
                        {"type": "PlanDefinition", "interaction": [{"code": "read"}]},
                    ],
                }
            ],
        }
    )


@router.get("/Patient", response_class=FhirResponse)
async def search_patients(
    user: User,
    context: Context,
    name: Annotated[str | None, Query(max_length=200)] = None,
    identifier: Annotated[str | None, Query(max_length=600)] = None,
) -> FhirResponse:
    """Patients of your sites by ``name`` (part of it) or ``identifier`` (``system|value``)."""
    try:
        if identifier is not None:
            system, _, value = identifier.partition("|")
            if system == _local(context).child and parse_record_id(value) is not None:
                found = [_record(user, context, f"child-{value}").child]
            else:
                found = _use_case(
                    lambda: find_child_by_identifier(
                        context.unit_of_work(), user_id(user), system, value, now=context.now()
                    )
                )
        elif name is not None:
            found = _use_case(
                lambda: find_children(
                    context.unit_of_work(), user_id(user), name, now=context.now()
                )
            )
        else:
            return _outcome(400, "required", "search with name=... or identifier=system|value")
    except _OutcomeError as refused:
        if identifier is not None and refused.response.status_code in (403, 404):
            return FhirResponse(_searchset([], context))
        return refused.response
    local = _local(context)
    return FhirResponse(_searchset([mapping.patient(child, (), local) for child in found], context))


@router.get("/Patient/{patient_id}", response_class=FhirResponse)
async def read_patient(patient_id: str, user: User, context: Context) -> FhirResponse:
    """One Patient (the read is audited)."""
    try:
        record = _record(user, context, patient_id)
        return FhirResponse(mapping.patient(record.child, record.identifiers, _local(context)))
    except _OutcomeError as refused:
        return refused.response


@router.get("/Patient/{patient_id}/$everything", response_class=FhirResponse)
async def everything(patient_id: str, user: User, context: Context) -> FhirResponse:
    """The child's whole record: Organization, Patient and everything that refers to them."""
    try:
        record = _record(user, context, patient_id)
    except _OutcomeError as refused:
        return refused.response
    local = _local(context)
    resources = [
        mapping.organization(record.site, local),
        *mapping.child_resources(record, context.content.pathway, local),
    ]
    child_id = _child_id(patient_id)  # a valid id: _record has read that child
    for entry_id, entry in _use_case(lambda: _diary(context, user, child_id)):
        resources += diary_resources(entry, entry_id)
    return FhirResponse(_searchset(resources, context))


def _diary(context: WebContext, user: SessionUser, child_id: int) -> list[tuple[int, DiaryEntry]]:
    """The child's home diary, through the family side's use case (audited ``diary.read``)."""
    from hipcare.storage import SqlAlchemyUnitOfWork

    uow = SqlAlchemyUnitOfWork(context.session_factory)
    return export_diary(uow, user_id(user), child_id, now=context.now())


@router.get("/Observation", response_class=FhirResponse)
async def search_observations(
    user: User,
    context: Context,
    patient: Annotated[str | None, Query(max_length=100)] = None,
    subject: Annotated[str | None, Query(max_length=100)] = None,
) -> FhirResponse:
    """The measures and GMFCS level of one child (``patient=Patient/child-{id}``)."""
    reference = patient or subject
    if reference is None:
        return _outcome(400, "required", "search with patient=Patient/child-{id}")
    try:
        record = _record(user, context, reference.removeprefix("Patient/"))
    except _OutcomeError as refused:
        if refused.response.status_code == 404:
            return FhirResponse(_searchset([], context))
        return refused.response
    observations = list(mapping.observations(record, _local(context)))
    return FhirResponse(_searchset(observations, context))


@router.get("/PlanDefinition/{definition_id}", response_class=FhirResponse)
async def read_plan_definition(definition_id: str, user: User, context: Context) -> FhirResponse:
    """The VDRO pathway as a PlanDefinition."""
    from hipcare.interop.fhir.plan_definition import plan_definition

    pathway = context.content.pathway
    resource = plan_definition(pathway, pathway.title)
    if definition_id != resource["id"]:
        return _outcome(404, "not-found", f"no PlanDefinition {definition_id!r}")
    return FhirResponse(resource)
