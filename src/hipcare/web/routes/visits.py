"""Recording a visit and a film's measures (``/children/{id}/visits``, a form and
``POST /api/children/{id}/visits``) and reading the surveillance summary
(``GET /api/children/{id}/surveillance``).

For the care team only (a family account gets 403); every POST carries the session's CSRF
token (form field or ``X-CSRF-Token``); the use cases authorise and audit
(``hipcare.services.records``, ``journey``). A form with a mistake comes back with what was
typed and the message next to the field at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph import Side
from hipcare.domain.records import VisitRecord
from hipcare.render.trend_chart import trend_chart_svg
from hipcare.services.accounts import SessionUser
from hipcare.services.hip_trend import HipTrend, hip_trend
from hipcare.services.journey import child_journey
from hipcare.services.records import get_child, record_visit
from hipcare.web.auth import staff_api_user, staff_page_user, staff_page_user_with_form
from hipcare.web.clinical_models import SurveillanceOut, VisitIn, surveillance_out
from hipcare.web.context import Context, WebContext
from hipcare.web.models import CLINICAL_API_ERRORS, RecordId, VisitOut, visit_out
from hipcare.web.rendering import page, user_id

__all__ = ["api_router", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["clinical"], responses=CLINICAL_API_ERRORS)

User = Annotated[SessionUser, Depends(staff_page_user)]
FormUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]


def _trend(visits: Sequence[VisitRecord], context: WebContext) -> HipTrend:
    return hip_trend(visits, context.content.surveillance_rules, chart=trend_chart_svg)


_HIP_FIELDS = {
    "mp": "migration_percentage_raw",
    "ai": "acetabular_index_deg",
    "nsa": "neck_shaft_angle_deg",
    "hsa": "head_shaft_angle_deg",
}
_MEASURE_LABELS = {
    "mp": "Migration percentage (%)",
    "ai": "Acetabular index (°)",
    "nsa": "Neck-shaft angle (°)",
    "hsa": "Head-shaft angle (°)",
}


_FINDINGS = {
    "hip_pain": "Hip pain (on history or on examination)",
    "scoliosis": "Scoliosis",
    "windswept_posture": "Windswept posture",
}
_EXAM_NUMBERS = ("pelvic_obliquity_deg", "right_abduction", "left_abduction")
_FORM_CONTROLS = frozenset(
    {"visit_date", "xray", *_FINDINGS, *_EXAM_NUMBERS}
    | {f"{side.value}_{short}" for side in Side for short in _HIP_FIELDS}
)


def _number(form: Mapping[str, str], name: str) -> float | None:
    typed = form.get(name, "").strip()
    if not typed:
        return None
    try:
        return float(typed)
    except ValueError:
        raise InvalidInputError(name, f"{typed!r} is not a number of degrees") from None


def _examination_document(form: Mapping[str, str]) -> dict[str, Any]:
    """The examination part of the form: yes / no / not examined, and degrees."""
    found: dict[str, Any] = {}
    for name in _FINDINGS:
        answer = form.get(name, "")
        if answer in ("yes", "no"):
            found[name] = answer == "yes"
    obliquity = _number(form, "pelvic_obliquity_deg")
    if obliquity is not None:
        found["pelvic_obliquity_deg"] = obliquity
    abduction = {
        side.value: value
        for side in Side
        if (value := _number(form, f"{side.value}_abduction")) is not None
    }
    if abduction:
        found["passive_abduction_deg"] = abduction
    return found


def _visit_document(form: Mapping[str, str]) -> dict[str, Any]:
    """The visit form as the JSON-shaped document ``record_visit`` reads."""
    document: dict[str, Any] = {}
    if form.get("visit_date", "").strip():
        document["visit_date"] = form["visit_date"].strip()
    xray = form.get("xray", "")
    if xray not in ("yes", "no"):
        raise InvalidInputError("xray", "say whether a film (X-ray) was taken")
    document["xray"] = xray == "yes"
    for side in Side:
        hip: dict[str, float] = {}
        for short, key in _HIP_FIELDS.items():
            typed = form.get(f"{side.value}_{short}", "").strip()
            if not typed:
                continue
            try:
                hip[key] = float(typed)
            except ValueError:
                raise InvalidInputError(
                    f"{side.value}_{short}", f"{typed!r} is not a number"
                ) from None
        if hip:
            document[side.value] = hip
    examination = _examination_document(form)
    if examination:
        document["examination"] = examination
    return document


def _visit_field(field: str) -> str:
    """The form control a service field points at ("right.migration_percentage_raw" ...)."""
    if field in _FORM_CONTROLS:
        return field
    finding = field.removeprefix("examination.")
    if finding in (*_FINDINGS, "pelvic_obliquity_deg"):
        return finding
    if finding.startswith("passive_abduction_deg."):
        return f"{finding.rpartition('.')[2]}_abduction"
    side, _, key = field.partition(".")
    if key == "migration_percentage_reported":
        return f"{side}_mp"
    for short, name in _HIP_FIELDS.items():
        if key == name:
            return f"{side}_{short}"
    if field in ("right", "left"):
        return f"{field}_mp"
    return field if field in ("visit_date", "xray") else "visit_date"


def _visit_form(
    request: Request,
    user: SessionUser,
    context: WebContext,
    child_id: int,
    form: Mapping[str, str],
    errors: Mapping[str, str],
    status: int = 200,
) -> Response:
    record = get_child(context.unit_of_work(), user_id(user), child_id, now=context.now())
    return page(
        request,
        "clinical/visit_form.html",
        {
            "child": record.child,
            "form": form,
            "errors": errors,
            "sides": list(Side),
            "measures": _MEASURE_LABELS,
            "findings": _FINDINGS,
            "today": context.today().isoformat(),
        },
        user=user,
        status=status,
    )


@pages_router.get("/children/{child_id}/visits/new")
async def visit_form(
    request: Request, child_id: RecordId, user: User, context: Context
) -> Response:
    return _visit_form(request, user, context, child_id, {"xray": "yes"}, {})


@pages_router.post("/children/{child_id}/visits")
async def record_visit_page(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    raw = await request.form()
    form = {key: value for key, value in raw.items() if isinstance(value, str)}
    now = context.now()
    try:
        record_visit(
            context.unit_of_work(),
            user_id(user),
            child_id,
            _visit_document(form),
            today=context.today(now),
            now=now,
            rules=context.content.surveillance_rules,
        )
    except InvalidInputError as error:
        if error.field == "child_id":
            raise
        field = _visit_field(error.field)
        return _visit_form(
            request, user, context, child_id, form, {field: error.problem}, status=422
        )
    return RedirectResponse(f"/children/{child_id}#surveillance", status_code=303)


# --- JSON API ----------------------------------------------------------------------------------


@api_router.post("/children/{child_id}/visits", response_model=VisitOut, status_code=201)
async def api_record_visit(
    child_id: RecordId, body: VisitIn, user: ApiUser, context: Context
) -> VisitOut:
    """Record a visit and, with a film, its measures per hip (a clinician of the child's site)."""
    now = context.now()
    visit = record_visit(
        context.unit_of_work(),
        user_id(user),
        child_id,
        body.model_dump(mode="json", exclude_none=True),
        today=context.today(now),
        now=now,
        rules=context.content.surveillance_rules,
    )
    return visit_out(visit)


@api_router.get("/children/{child_id}/surveillance", response_model=SurveillanceOut)
async def api_surveillance(child_id: RecordId, user: ApiUser, context: Context) -> SurveillanceOut:
    """Next review with the rule that set it, the MP trend per hip and the change since the
    last film (within measurement error when under 8.3 points, Parrott et al. 2002)."""
    now = context.now()
    journey = child_journey(
        context.unit_of_work(),
        user_id(user),
        child_id,
        context.content.surveillance_rules,
        today=context.today(now),
        now=now,
    )
    return surveillance_out(journey.surveillance, _trend(journey.visits, context))
