"""Clinician pages and API for surveillance, the worklist, operation plans and the dashboard.

Installed into the app by :func:`install` (one line in :func:`hipcare.web.create_app`): it
adds the page and API routers and the template helpers the child page's sections use
(``templates/child/_surveillance.html``, ``_operation.html``, ``_care_plan.html``).

Every route checks who is asking (pages: sign-in redirect; API: 401) and is for the care team
only (a family account gets 403), every POST carries the session's CSRF token (form field or
``X-CSRF-Token``), and the use cases authorise and audit (``hipcare.services.operations``,
``care_team``, ``records``). A form with a mistake comes back with what was typed and the
message next to the field at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from hipcare.content.osteotomy import load_osteotomy_rules
from hipcare.content.pathway import load_pathway, load_surgeons
from hipcare.content.sites import load_sites
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.errors import InvalidInputError, OutsideRuleError
from hipcare.domain.osteotomy import OsteotomyRules
from hipcare.domain.pathway import Pathway, Procedure
from hipcare.domain.radiograph import Side
from hipcare.domain.records import Role, VisitRecord
from hipcare.domain.surveillance import RuleStatus, WorklistStatus
from hipcare.render.trend_chart import trend_chart_svg
from hipcare.services.accounts import SessionUser
from hipcare.services.care_team import acknowledge_alert, list_dashboard
from hipcare.services.hip_trend import HipTrend, hip_trend
from hipcare.services.journey import child_journey, staff_sites
from hipcare.services.operations import (
    PathwayContent,
    plan_operation,
    postpone_surgery,
    site_surgeons,
    start_pathway,
    tick_care_item,
)
from hipcare.services.osteotomy import plan_vdro
from hipcare.services.records import get_child, record_visit
from hipcare.services.worklist import (
    WORKLIST_PAGE_SIZE,
    WorklistOrder,
    site_worklist,
    site_worklist_page,
)
from hipcare.web.auth import staff_api_user, staff_page_user, staff_page_user_with_form
from hipcare.web.child_page import PROCEDURE_NAMES as _PROCEDURE_NAMES
from hipcare.web.child_page import render_child_page
from hipcare.web.clinical_models import (
    AlertOut,
    CarePlanItemOut,
    DashboardOut,
    OperationIn,
    OperationOut,
    PathwayStartIn,
    PostponeIn,
    SurveillanceOut,
    VisitIn,
    WorklistEntryOut,
    alert_out,
    care_plan_item_out,
    dashboard_out,
    operation_out,
    surveillance_out,
    worklist_entry_out,
)
from hipcare.web.context import WebContext, web_context
from hipcare.web.models import Problem, RecordId, VisitOut, parse_record_id, visit_out
from hipcare.web.pages import _page, _user_id

__all__ = ["api_router", "install", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body could not be read as JSON"},
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "not allowed, or the CSRF token is missing"},
    404: {"model": Problem, "description": "no such child or site"},
    422: {"model": Problem, "description": "the input is not valid; `field` says where"},
}
api_router = APIRouter(prefix="/api", tags=["clinical"], responses=_ERRORS)

User = Annotated[SessionUser, Depends(staff_page_user)]
FormUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]
Context = Annotated[WebContext, Depends(web_context)]

WORKLIST_STATUSES = {
    "needs-referral": WorklistStatus.NEEDS_REFERRAL,
    "overdue": WorklistStatus.OVERDUE,
    "due": WorklistStatus.DUE,
}


@cache
def _pathway() -> Pathway:
    return load_pathway()


def pathway_content() -> PathwayContent:
    """The pathway, the surgeons' profiles and the sites' names (content, read once)."""
    return _content()


@cache
def _content() -> PathwayContent:
    return PathwayContent.of(
        _pathway(), load_surgeons(), {site.id: site.name for site in load_sites()}
    )


# --- template helpers for the child page ---------------------------------------------------


def _trend(visits: Sequence[VisitRecord]) -> HipTrend:
    return hip_trend(visits, load_surveillance_rules(), chart=trend_chart_svg)


def _rule_status(rule_id: str) -> str | None:
    """ "guideline" or "local protocol" (to be confirmed by the clinical lead) for a rule."""
    rule = load_surveillance_rules().by_id(rule_id)
    if rule is None:
        return None
    return "local protocol" if rule.citation.status is RuleStatus.LOCAL_PROTOCOL else "guideline"


def install(app: FastAPI) -> None:
    """Add the clinical pages and API to ``app``, and the worklist's template helpers."""
    context: WebContext = app.state.hipcare
    context.templates.globals.update(rule_status=_rule_status, markup=Markup)
    app.include_router(api_router)
    app.include_router(pages_router)


# --- recording a visit ---------------------------------------------------------------------

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


_FORM_CONTROLS = frozenset(
    {"visit_date", "xray"} | {f"{side.value}_{short}" for side in Side for short in _HIP_FIELDS}
)


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
    return document


def _visit_field(field: str) -> str:
    """The form control a service field points at ("right.migration_percentage_raw" ...)."""
    if field in _FORM_CONTROLS:
        return field
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
    record = get_child(context.unit_of_work(), _user_id(user), child_id, now=context.now())
    return _page(
        request,
        "clinical/visit_form.html",
        {
            "child": record.child,
            "form": form,
            "errors": errors,
            "sides": list(Side),
            "measures": _MEASURE_LABELS,
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
            _user_id(user),
            child_id,
            _visit_document(form),
            today=context.today(now),
            now=now,
        )
    except InvalidInputError as error:
        if error.field == "child_id":
            raise
        field = _visit_field(error.field)
        return _visit_form(
            request, user, context, child_id, form, {field: error.problem}, status=422
        )
    return RedirectResponse(f"/children/{child_id}#surveillance", status_code=303)


# --- worklist ------------------------------------------------------------------------------


@pages_router.get("/worklist")
async def worklist_home(request: Request, user: User, context: Context) -> Response:
    return _choose_site(request, user, context, "worklist", "Surveillance worklist")


def _choose_site(
    request: Request, user: SessionUser, context: WebContext, what: str, title: str
) -> Response:
    """Straight on to ``/sites/<id>/<what>`` for one site; otherwise a page to choose one."""
    sites = staff_sites(context.unit_of_work(), _user_id(user))
    if len(sites) == 1:
        return RedirectResponse(f"/sites/{sites[0].id}/{what}", status_code=303)
    return _page(
        request,
        "clinical/choose_site.html",
        {"sites": sites, "what": what, "title": title},
        user=user,
    )


_SORTS = ("status", "review", "name")
_ORDERS = {order.value: order for order in WorklistOrder}


@pages_router.get("/sites/{site_id}/worklist")
async def worklist_page(
    request: Request,
    site_id: str,
    user: User,
    context: Context,
    status: str = "",
    sort: str = "status",
    show: str = "",
) -> Response:
    """The first children of the worklist (``show``, a page at first; "show more" adds a
    page) in the chosen order, and the counts by status of the whole list."""
    now = context.now()
    today = context.today(now)
    wanted = WORKLIST_STATUSES.get(status)
    order = _ORDERS.get(sort, WorklistOrder.STATUS)
    # A count bounded like an id (a LIMIT is 64-bit too); any other ``show``: one page.
    limit = max(parse_record_id(show) or 0, WORKLIST_PAGE_SIZE)
    page = site_worklist_page(
        context.unit_of_work(),
        _user_id(user),
        site_id,
        load_surveillance_rules(),
        today=today,
        now=now,
        status=wanted,
        order=order,
        limit=limit,
    )
    counts = {
        "needs-referral": page.counts.needs_referral,
        "overdue": page.counts.overdue,
        "due": page.counts.due,
    }
    return _page(
        request,
        "clinical/worklist.html",
        {
            "site": context_site(site_id),
            "site_id": site_id,
            "entries": page.entries,
            "total": page.counts.total,
            "of_status": page.counts.total if wanted is None else counts[status],
            "counts": counts,
            "status": status if wanted else "",
            "sort": order.value,
            "sorts": _SORTS,
            "show_more": len(page.entries) + WORKLIST_PAGE_SIZE,
            "page_size": WORKLIST_PAGE_SIZE,
            "today": today,
        },
        user=user,
    )


def context_site(site_id: str) -> Any:
    return next((site for site in load_sites() if site.id == site_id), None)


# --- operation plan -------------------------------------------------------------------------


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
    record = get_child(context.unit_of_work(), _user_id(user), child_id, now=context.now())
    planner_values = dict(planner or {})
    planner_result, planner_problem = _run_planner(planner_values)
    surgeons = site_surgeons(
        context.unit_of_work(), _user_id(user), record.child.site_id, pathway_content()
    )
    return _page(
        request,
        "clinical/operation_form.html",
        {
            "child": record.child,
            "form": form,
            "errors": errors,
            "surgeons": surgeons,
            "procedures": [
                (procedure.value, _PROCEDURE_NAMES[procedure]) for procedure in Procedure
            ],
            "today": context.today().isoformat(),
            "me": _user_id(user),
            "planner": planner_values,
            "planner_fields": _PLANNER_FIELDS,
            "planner_result": planner_result,
            "planner_problem": planner_problem,
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


def _run_planner(values: Mapping[str, str]) -> tuple[dict[str, Any] | None, str | None]:
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
        return plan_vdro(numbers, _osteotomy_rules()), None
    except (InvalidInputError, OutsideRuleError) as error:
        return None, f"{error.field}: {error.problem}"


@cache
def _osteotomy_rules() -> OsteotomyRules:
    return load_osteotomy_rules()


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
    now = context.now()
    try:
        plan_operation(
            context.unit_of_work(),
            _user_id(user),
            child_id,
            _operation_document(form),
            pathway_content(),
            today=context.today(now),
            now=now,
        )
    except InvalidInputError as error:
        if error.field == "child_id":
            raise
        field = error.field.split("[")[0]
        field = field if field in _OPERATION_FIELDS else "sides"
        return _operation_form(
            request, user, context, child_id, form, {field: error.problem}, status=422
        )
    return RedirectResponse(f"/children/{child_id}#operation", status_code=303)


async def _form_values(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {key: value for key, value in raw.items() if isinstance(value, str)}


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
            _user_id(user),
            child_id,
            operation_id,
            document,
            pathway_content(),
            now=context.now(),
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
            _user_id(user),
            child_id,
            operation_id,
            {"surgery_date": form.get("surgery_date", "")},
            pathway_content(),
            today=context.today(now),
            now=now,
        )
    except InvalidInputError as error:
        if error.field == "child_id":
            raise
        return _back_with_problem(
            request, user, context, child_id, f"{error.field}: {error.problem}"
        )
    return RedirectResponse(f"/children/{child_id}#care-plan", status_code=303)


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
        context.unit_of_work(), _user_id(user), child_id, operation_id, item_id, now=context.now()
    )
    return RedirectResponse(f"/children/{child_id}#item-{item_id}", status_code=303)


# --- dashboard ------------------------------------------------------------------------------


@pages_router.get("/dashboard")
async def dashboard_home(request: Request, user: User, context: Context) -> Response:
    return _choose_site(request, user, context, "dashboard", "Care-team dashboard")


@pages_router.get("/sites/{site_id}/dashboard")
async def dashboard_page(request: Request, site_id: str, user: User, context: Context) -> Response:
    now = context.now()
    dashboard = list_dashboard(
        context.unit_of_work(),
        _user_id(user),
        site_id,
        _pathway(),
        load_surveillance_rules(),
        today=context.today(now),
        now=now,
    )
    return _page(
        request,
        "clinical/dashboard.html",
        {
            "dashboard": dashboard,
            "site": context_site(site_id),
            "site_id": site_id,
            "can_acknowledge": user.user.role is Role.CLINICIAN,
        },
        user=user,
    )


@pages_router.post("/children/{child_id}/alerts/{alert_id}/acknowledge")
async def acknowledge_page(
    request: Request, child_id: RecordId, alert_id: RecordId, user: FormUser, context: Context
) -> Response:
    form = await _form_values(request)
    acknowledge_alert(context.unit_of_work(), _user_id(user), child_id, alert_id, now=context.now())
    site = form.get("site", "")
    target = (
        f"/sites/{site}/dashboard#alerts"
        if site.replace("-", "").isalnum()
        else f"/children/{child_id}#care-plan"
    )
    return RedirectResponse(target, status_code=303)


# --- JSON API -------------------------------------------------------------------------------


@api_router.post("/children/{child_id}/visits", response_model=VisitOut, status_code=201)
async def api_record_visit(
    child_id: RecordId, body: VisitIn, user: ApiUser, context: Context
) -> VisitOut:
    """Record a visit and, with a film, its measures per hip (a clinician of the child's site)."""
    now = context.now()
    visit = record_visit(
        context.unit_of_work(),
        _user_id(user),
        child_id,
        body.model_dump(mode="json", exclude_none=True),
        today=context.today(now),
        now=now,
    )
    return visit_out(visit)


@api_router.get("/children/{child_id}/surveillance", response_model=SurveillanceOut)
async def api_surveillance(child_id: RecordId, user: ApiUser, context: Context) -> SurveillanceOut:
    """Next review with the rule that set it, the MP trend per hip and the change since the
    last film (within measurement error when under 8.3 points, Parrott et al. 2002)."""
    now = context.now()
    journey = child_journey(
        context.unit_of_work(),
        _user_id(user),
        child_id,
        load_surveillance_rules(),
        today=context.today(now),
        now=now,
    )
    return surveillance_out(journey.surveillance, _trend(journey.visits))


@api_router.get("/sites/{site_id}/worklist", response_model=list[WorklistEntryOut])
async def api_worklist(
    site_id: str,
    user: ApiUser,
    context: Context,
    status: Annotated[str | None, Query(pattern="^(needs-referral|overdue|due)$")] = None,
) -> list[WorklistEntryOut]:
    """Children of the site who need referral, are overdue or due (optionally one status);
    only the children returned are audited as read."""
    now = context.now()
    entries = site_worklist(
        context.unit_of_work(),
        _user_id(user),
        site_id,
        load_surveillance_rules(),
        today=context.today(now),
        now=now,
        status=None if status is None else WORKLIST_STATUSES[status],
    )
    return [worklist_entry_out(entry) for entry in entries]


@api_router.post("/children/{child_id}/operations", response_model=OperationOut, status_code=201)
async def api_plan_operation(
    child_id: RecordId, body: OperationIn, user: ApiUser, context: Context
) -> OperationOut:
    """Plan a VDRO; weight bearing and positioning default from the surgeon's profile."""
    now = context.now()
    plan = plan_operation(
        context.unit_of_work(),
        _user_id(user),
        child_id,
        body.model_dump(mode="json", exclude_none=True),
        pathway_content(),
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
        _user_id(user),
        child_id,
        operation_id,
        body.model_dump(),
        pathway_content(),
        now=context.now(),
    )
    return [care_plan_item_out(item) for item in items]


@api_router.post(
    "/children/{child_id}/operations/{operation_id}/postpone",
    response_model=list[CarePlanItemOut],
)
async def api_postpone(
    child_id: RecordId, operation_id: RecordId, body: PostponeIn, user: ApiUser, context: Context
) -> list[CarePlanItemOut]:
    """Move the surgery date; items not done are re-dated, done ones are kept."""
    now = context.now()
    items = postpone_surgery(
        context.unit_of_work(),
        _user_id(user),
        child_id,
        operation_id,
        body.model_dump(mode="json"),
        pathway_content(),
        today=context.today(now),
        now=now,
    )
    return [care_plan_item_out(item) for item in items]


@api_router.post(
    "/children/{child_id}/operations/{operation_id}/items/{item_id}/done",
    response_model=CarePlanItemOut,
)
async def api_tick(
    child_id: RecordId, operation_id: RecordId, item_id: str, user: ApiUser, context: Context
) -> CarePlanItemOut:
    """Mark a care-plan item done (by you, now)."""
    item = tick_care_item(
        context.unit_of_work(), _user_id(user), child_id, operation_id, item_id, now=context.now()
    )
    return care_plan_item_out(item)


@api_router.get("/sites/{site_id}/dashboard", response_model=DashboardOut)
async def api_dashboard(site_id: str, user: ApiUser, context: Context) -> DashboardOut:
    """The site's children by phase of the journey, and its alerts."""
    now = context.now()
    dashboard = list_dashboard(
        context.unit_of_work(),
        _user_id(user),
        site_id,
        _pathway(),
        load_surveillance_rules(),
        today=context.today(now),
        now=now,
    )
    return dashboard_out(dashboard)


@api_router.post("/children/{child_id}/alerts/{alert_id}/acknowledge", response_model=AlertOut)
async def api_acknowledge(
    child_id: RecordId, alert_id: RecordId, user: ApiUser, context: Context
) -> AlertOut:
    """Acknowledge an alert (who and when are kept)."""
    alert = acknowledge_alert(
        context.unit_of_work(), _user_id(user), child_id, alert_id, now=context.now()
    )
    return alert_out(alert)
