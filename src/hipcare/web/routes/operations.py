"""Operation plans and the VDRO care pathway: plan an operation (with the osteotomy
planner beside the form), start the pathway, postpone surgery, tick a care-plan item; as pages
under ``/children/{id}/operations`` and JSON under ``/api/children/{id}/operations``.

For the care team only (a family account gets 403); every POST carries the session's CSRF
token (form field or ``X-CSRF-Token``); the use cases authorise and audit
(``hipcare.services.operations``). A refused change on the child's page shows the page again
with the problem at the top of its operation section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from hipcare.domain.errors import InvalidInputError, OutsideRuleError
from hipcare.domain.osteotomy import OsteotomyRules
from hipcare.domain.pathway import Procedure
from hipcare.domain.radiograph import Side
from hipcare.services.accounts import SessionUser
from hipcare.services.family.postponement import tell_family_of_postponement
from hipcare.services.family.reminders import smtp_sender
from hipcare.services.operations import (
    plan_operation,
    postpone_surgery,
    record_operation_done,
    set_day_of_surgery,
    site_surgeons,
    start_pathway,
    tick_care_item,
)
from hipcare.services.osteotomy import plan_vdro
from hipcare.services.radiographs import confirmed_neck_shaft_angles
from hipcare.services.records import get_child
from hipcare.web.auth import staff_api_user, staff_page_user, staff_page_user_with_form
from hipcare.web.clinical_models import (
    CarePlanItemOut,
    DayOfSurgeryIn,
    OperationDoneIn,
    OperationIn,
    OperationOut,
    PathwayStartIn,
    PostponeIn,
    care_plan_item_out,
    operation_out,
)
from hipcare.web.context import Context, WebContext
from hipcare.web.models import CLINICAL_API_ERRORS, CONFLICT, RecordId, parse_record_id
from hipcare.web.rendering import (
    PROCEDURE_NAMES,
    page,
    render_child_page,
    user_id,
)

__all__ = ["api_router", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["clinical"], responses=CLINICAL_API_ERRORS)

User = Annotated[SessionUser, Depends(staff_page_user)]
FormUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]


def _operation_form(
    request: Request,
    user: SessionUser,
    context: WebContext,
    child_id: int,
    form: Mapping[str, Any],
    errors: Mapping[str, str],
    status: int = 200,
    planner: Mapping[str, str] | None = None,
) -> Response:
    record = get_child(context.unit_of_work(), user_id(user), child_id, now=context.now())
    starting = confirmed_neck_shaft_angles(
        context.unit_of_work(), user_id(user), child_id, now=context.now()
    )
    planner_values = dict(planner or {})
    planner_result, planner_problem = _run_planner(planner_values, context.content.osteotomy_rules)
    first = starting.get(Side.RIGHT) or starting.get(Side.LEFT)
    if first is not None and not planner_values.get("neck_shaft_angle_deg"):
        planner_values["neck_shaft_angle_deg"] = f"{first.angle_deg:g}"
    surgeons = site_surgeons(
        context.unit_of_work(), user_id(user), record.child.site_id, context.content.pathway_content
    )
    return page(
        request,
        "clinical/operation_form.html",
        {
            "child": record.child,
            "form": form,
            "errors": errors,
            "surgeons": surgeons,
            "procedures": [
                (procedure.value, PROCEDURE_NAMES[procedure]) for procedure in Procedure
            ],
            "today": context.today().isoformat(),
            "day_defaults": context.content.pathway_content.day_of_surgery.get(
                record.child.site_id
            ),
            "me": user_id(user),
            "planner": planner_values,
            "planner_fields": _PLANNER_FIELDS,
            "planner_result": planner_result,
            "planner_problem": planner_problem,
            "starting_angles": [starting[side] for side in Side if side in starting],
        },
        user=user,
        status=status,
    )


_PLANNER_FIELDS = {
    "neck_shaft_angle_deg": "Neck-shaft angle before surgery (°)",
    "target_neck_shaft_angle_deg": "Target neck-shaft angle (°)",
    "plate_angle_deg": "Blade-plate angle (°)",
    "anteversion_deg": "Anteversion before surgery (°, optional)",
    "target_anteversion_deg": "Target anteversion (°, optional)",
}


def _run_planner(
    values: Mapping[str, str], rules: OsteotomyRules
) -> tuple[dict[str, Any] | None, str | None]:
    """The osteotomy planner's answer (``hipcare.services.osteotomy``) for the typed angles,
    or the problem with them; nothing when no angle was typed."""
    typed = {key: value.strip() for key, value in values.items() if value.strip()}
    if not typed:
        return None, None
    numbers: dict[str, float] = {}
    for key, value in typed.items():
        try:
            numbers[key] = float(value)
        except ValueError:
            return None, f"{_PLANNER_FIELDS[key]}: {value!r} is not a number"
    try:
        return plan_vdro(numbers, rules), None
    except (InvalidInputError, OutsideRuleError) as error:
        return None, f"{error.field}: {error.problem}"


@pages_router.get("/children/{child_id}/operations/new")
async def operation_form(
    request: Request, child_id: RecordId, user: User, context: Context
) -> Response:
    planner = {
        key: request.query_params.get(key, "")[:20]
        for key in _PLANNER_FIELDS
        if key in request.query_params
    }
    form: dict[str, Any] = {
        "procedures": ["vdro"],
        "sides": "both",
        "weight_bearing": "",
        "positioning_device": "",
    }
    if planner.get("plate_angle_deg"):
        form["plate_angle_deg"] = planner["plate_angle_deg"]
    return _operation_form(request, user, context, child_id, form, {}, planner=planner)


_OPERATION_FIELDS = (
    "sides",
    "procedures",
    "implant",
    "plate_angle_deg",
    "surgeon_id",
    "surgery_date",
    "weight_bearing",
    "positioning_device",
    "day_of_surgery",
)


def _operation_document(form: Mapping[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "sides": form.get("sides", ""),
        "procedures": list(form.get("procedures", [])),
        "implant": form.get("implant", ""),
    }
    surgeon_id = parse_record_id(str(form.get("surgeon_id", "")).strip())
    if surgeon_id is None:
        raise InvalidInputError("surgeon_id", "choose the surgeon")
    document["surgeon_id"] = surgeon_id
    angle = str(form.get("plate_angle_deg", "")).strip()
    if angle:
        try:
            document["plate_angle_deg"] = float(angle)
        except ValueError:
            raise InvalidInputError(
                "plate_angle_deg", f"{angle!r} is not a number of degrees"
            ) from None
    if str(form.get("surgery_date", "")).strip():
        document["surgery_date"] = str(form["surgery_date"]).strip()
    if form.get("weight_bearing"):
        document["weight_bearing"] = form["weight_bearing"]
    device = form.get("positioning_device", "")
    if device in ("yes", "no"):
        document["positioning_device"] = device == "yes"
    day = {
        key: str(form.get(f"dos_{key}", "")).strip()
        for key in (
            "arrival_time",
            "arrival_place",
            "food_stop_time",
            "milk_stop_time",
            "clear_fluids_stop_time",
            "what_to_bring",
        )
    }
    if day["what_to_bring"]:
        document_things = [line.strip() for line in day["what_to_bring"].splitlines()]
        day_document: dict[str, Any] = {"what_to_bring": [t for t in document_things if t]}
    else:
        day_document = {}
    day_document |= {key: value for key, value in day.items() if value and key != "what_to_bring"}
    if day_document:
        document["day_of_surgery"] = day_document
    return document


@pages_router.post("/children/{child_id}/operations")
async def plan_operation_page(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    raw = await request.form()
    form: dict[str, Any] = {
        key: value for key, value in raw.items() if isinstance(value, str) and key != "procedures"
    }
    form["procedures"] = [value for value in raw.getlist("procedures") if isinstance(value, str)]
    if form.get("action") == "planner":
        # The planner's button without JavaScript: the form again, everything typed kept,
        # with the planner's answer; nothing is saved.
        planner = {key: form.get(f"planner_{key}", "")[:20] for key in _PLANNER_FIELDS}
        if not str(form.get("plate_angle_deg", "")).strip() and planner["plate_angle_deg"]:
            form["plate_angle_deg"] = planner["plate_angle_deg"]
        return _operation_form(request, user, context, child_id, form, {}, planner=planner)
    now = context.now()
    try:
        plan_operation(
            context.unit_of_work(),
            user_id(user),
            child_id,
            _operation_document(form),
            context.content.pathway_content,
            today=context.today(now),
            now=now,
        )
    except InvalidInputError as error:
        if error.field == "child_id":
            raise
        field = error.field.split("[")[0].split(".")[0]
        field = field if field in _OPERATION_FIELDS else "sides"
        if field == "day_of_surgery":
            problem = f"{error.field.removeprefix('day_of_surgery.')}: {error.problem}"
            return _operation_form(
                request, user, context, child_id, form, {field: problem}, status=422
            )
        return _operation_form(
            request, user, context, child_id, form, {field: error.problem}, status=422
        )
    return RedirectResponse(f"/children/{child_id}#operation", status_code=303)


async def _form_values(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {key: value for key, value in raw.items() if isinstance(value, str)}


async def _tell_family(request: Request, context: WebContext, actor_id: int, child_id: int) -> None:
    """Email the family that the date changed (when SMTP is set up; the banner on their
    page tells them either way)."""
    smtp = context.smtp
    if smtp is None:
        return
    public = smtp.public_url or str(request.base_url).rstrip("/")
    await run_in_threadpool(
        tell_family_of_postponement,
        context.unit_of_work(),
        actor_id,
        child_id,
        smtp_sender(smtp),
        smtp,
        context.content.words,
        now=context.now(),
        public_url=public,
    )


def _back_with_problem(
    request: Request, user: SessionUser, context: WebContext, child_id: int, problem: str
) -> Response:
    """The child's page again, with the problem said at the top of the operation section."""
    return render_child_page(
        request, user, context, child_id, operation_problem=problem, status=422
    )


@pages_router.post("/children/{child_id}/operations/{operation_id}/pathway")
async def start_pathway_page(
    request: Request, child_id: RecordId, operation_id: RecordId, user: FormUser, context: Context
) -> Response:
    form = await _form_values(request)
    try:
        document = {}
        for key in ("wheelchair_user", "attends_school", "sees_therapists"):
            if form.get(key) not in ("yes", "no"):
                raise InvalidInputError(key, "answer yes or no")
            document[key] = form[key] == "yes"
        start_pathway(
            context.unit_of_work(),
            user_id(user),
            child_id,
            operation_id,
            document,
            context.content.pathway_content,
            now=context.now(),
            today=context.today(),
        )
    except InvalidInputError as error:
        if error.field == "child_id":
            raise
        return _back_with_problem(
            request, user, context, child_id, f"{error.field}: {error.problem}"
        )
    return RedirectResponse(f"/children/{child_id}#care-plan", status_code=303)


@pages_router.post("/children/{child_id}/operations/{operation_id}/postpone")
async def postpone_page(
    request: Request, child_id: RecordId, operation_id: RecordId, user: FormUser, context: Context
) -> Response:
    form = await _form_values(request)
    now = context.now()
    try:
        postpone_surgery(
            context.unit_of_work(),
            user_id(user),
            child_id,
            operation_id,
            {
                "surgery_date": form.get("surgery_date", ""),
                # Sent by the page's own form (the date it showed); an older page without
                # it postpones whatever is planned now.
                **(
                    {"expected_surgery_date": form["expected_surgery_date"]}
                    if "expected_surgery_date" in form
                    else {}
                ),
            },
            context.content.pathway_content,
            today=context.today(now),
            now=now,
        )
    except InvalidInputError as error:
        if error.field == "child_id":
            raise
        return _back_with_problem(
            request, user, context, child_id, f"{error.field}: {error.problem}"
        )
    await _tell_family(request, context, user_id(user), child_id)
    return RedirectResponse(f"/children/{child_id}#care-plan", status_code=303)


@pages_router.post("/children/{child_id}/operations/{operation_id}/done")
async def operation_done_page(
    request: Request, child_id: RecordId, operation_id: RecordId, user: FormUser, context: Context
) -> Response:
    form = await _form_values(request)
    now = context.now()
    try:
        record_operation_done(
            context.unit_of_work(),
            user_id(user),
            child_id,
            operation_id,
            {"done_on": form.get("done_on", "")},
            context.content.pathway_content,
            context.content.surveillance_rules,
            today=context.today(now),
            now=now,
        )
    except InvalidInputError as error:
        if error.field == "child_id":
            raise
        return _back_with_problem(
            request, user, context, child_id, f"{error.field}: {error.problem}"
        )
    return RedirectResponse(f"/children/{child_id}#operation", status_code=303)


@pages_router.post("/children/{child_id}/operations/{operation_id}/items/{item_id}/done")
async def tick_page(
    request: Request,
    child_id: RecordId,
    operation_id: RecordId,
    item_id: str,
    user: FormUser,
    context: Context,
) -> Response:
    tick_care_item(
        context.unit_of_work(),
        user_id(user),
        child_id,
        operation_id,
        item_id,
        context.content.pathway_content,
        now=context.now(),
    )
    return RedirectResponse(f"/children/{child_id}#item-{item_id}", status_code=303)


# --- JSON API ----------------------------------------------------------------------------------


@api_router.post("/children/{child_id}/operations", response_model=OperationOut, status_code=201)
async def api_plan_operation(
    child_id: RecordId, body: OperationIn, user: ApiUser, context: Context
) -> OperationOut:
    """Plan a VDRO; weight bearing and positioning default from the surgeon's profile."""
    now = context.now()
    plan = plan_operation(
        context.unit_of_work(),
        user_id(user),
        child_id,
        body.model_dump(mode="json", exclude_none=True),
        context.content.pathway_content,
        today=context.today(now),
        now=now,
    )
    return operation_out(plan)


@api_router.post(
    "/children/{child_id}/operations/{operation_id}/pathway",
    response_model=list[CarePlanItemOut],
    status_code=201,
)
async def api_start_pathway(
    child_id: RecordId,
    operation_id: RecordId,
    body: PathwayStartIn,
    user: ApiUser,
    context: Context,
) -> list[CarePlanItemOut]:
    """Start the pathway: the child's dated care plan is created from the engine."""
    items = start_pathway(
        context.unit_of_work(),
        user_id(user),
        child_id,
        operation_id,
        body.model_dump(),
        context.content.pathway_content,
        now=context.now(),
        today=context.today(),
    )
    return [care_plan_item_out(item) for item in items]


@api_router.post(
    "/children/{child_id}/operations/{operation_id}/postpone",
    response_model=list[CarePlanItemOut],
    responses=CONFLICT,
)
async def api_postpone(
    request: Request,
    child_id: RecordId,
    operation_id: RecordId,
    body: PostponeIn,
    user: ApiUser,
    context: Context,
) -> list[CarePlanItemOut]:
    """Move the surgery date; items not done are re-dated, done ones are kept unless their
    text named the old date (reopened); the family is emailed that the date changed. 409 when
    someone changed the operation first (``expected_surgery_date``, or at the same moment)."""
    now = context.now()
    items = postpone_surgery(
        context.unit_of_work(),
        user_id(user),
        child_id,
        operation_id,
        body.model_dump(mode="json"),
        context.content.pathway_content,
        today=context.today(now),
        now=now,
    )
    await _tell_family(request, context, user_id(user), child_id)
    return [care_plan_item_out(item) for item in items]


@api_router.post(
    "/children/{child_id}/operations/{operation_id}/done",
    response_model=OperationOut,
    responses=CONFLICT,
)
async def api_operation_done(
    child_id: RecordId,
    operation_id: RecordId,
    body: OperationDoneIn,
    user: ApiUser,
    context: Context,
) -> OperationOut:
    """Mark the operation done (``done_on``, default the planned date): surveillance counts it
    from now on (an operated child stays under surveillance to skeletal maturity). 409 when
    it is done or cancelled already, or someone changed it at the same moment."""
    now = context.now()
    plan = record_operation_done(
        context.unit_of_work(),
        user_id(user),
        child_id,
        operation_id,
        body.model_dump(mode="json", exclude_none=True),
        context.content.pathway_content,
        context.content.surveillance_rules,
        today=context.today(now),
        now=now,
    )
    return operation_out(plan)


@api_router.post(
    "/children/{child_id}/operations/{operation_id}/items/{item_id}/done",
    response_model=CarePlanItemOut,
    responses=CONFLICT,
)
async def api_tick(
    child_id: RecordId, operation_id: RecordId, item_id: str, user: ApiUser, context: Context
) -> CarePlanItemOut:
    """Mark a care-plan item done (by you, now); 409 when it is done already, 422 naming
    ``item_id`` for information (read, never ticked)."""
    item = tick_care_item(
        context.unit_of_work(),
        user_id(user),
        child_id,
        operation_id,
        item_id,
        context.content.pathway_content,
        now=context.now(),
    )
    return care_plan_item_out(item)


@api_router.put(
    "/children/{child_id}/operations/{operation_id}/day-of-surgery",
    response_model=OperationOut,
)
async def api_day_of_surgery(
    child_id: RecordId,
    operation_id: RecordId,
    body: DayOfSurgeryIn,
    user: ApiUser,
    context: Context,
) -> OperationOut:
    """Set the day of surgery the family sees (fasting stops, arrival time and place, what
    to bring); values left out keep the site's defaults (local protocol)."""
    plan = set_day_of_surgery(
        context.unit_of_work(),
        user_id(user),
        child_id,
        operation_id,
        body.model_dump(exclude_none=True),
        context.content.pathway_content,
        now=context.now(),
    )
    return operation_out(plan)


@api_router.post("/osteotomy-plans")
async def api_osteotomy_plan(request: Request, user: ApiUser, context: Context) -> Response:
    """The osteotomy planner (``hipcare.services.osteotomy``) for the operation form's planner
    section and other callers: ``{"neck_shaft_angle_deg", "target_neck_shaft_angle_deg",
    "plate_angle_deg"}`` and the optional fields, numbers in degrees or millimetres; answers
    the plan as ``hipcare osteotomy`` prints it. No record is read or changed: the care team
    only (a family account gets 403), nothing audited."""
    try:
        values = await request.json()
    except ValueError:
        raise InvalidInputError("body", "send the planner's angles as a JSON object") from None
    if not isinstance(values, dict):
        raise InvalidInputError("body", "send the planner's angles as a JSON object")
    return JSONResponse(plan_vdro(values, context.content.osteotomy_rules))
