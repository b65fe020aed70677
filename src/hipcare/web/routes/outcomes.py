"""What happened after an operation, and a site's outcomes report (issue 19).

Pages: ``/operations/{id}/outcome`` (the recorded outcome and its form, for the surgeon and
nurse) and ``/sites/{site}/report`` (the site report: hip survival and MP before/after as
SVG charts, each with a table beside it for screen readers). JSON:
``GET``/``PUT /api/operations/{id}/outcome``. The use cases authorise and audit
(``hipcare.services.operation_outcomes``): clinicians of the child's (or the report's) site
only; a refused request is 403, impossible input 422 naming the field, an unknown operation
404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel

from hipcare.analysis.survival import KaplanMeierEstimator
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.outcomes import ComplicationGrade
from hipcare.render.outcome_charts import (
    hip_survival_svg,
    migration_percentage_pairs_svg,
    survival_table_rows,
)
from hipcare.services.accounts import SessionUser
from hipcare.services.operation_outcomes import (
    OutcomeView,
    open_site_report,
    operation_outcome,
    outcome_document,
    record_operation_outcome,
)
from hipcare.services.outcomes_report import ReportContent, build_site_report, report_document
from hipcare.storage.outcomes import SqlAlchemyOutcomeRecords
from hipcare.web.auth import staff_api_user, staff_page_user, staff_page_user_with_form
from hipcare.web.context import Context, WebContext
from hipcare.web.models import CLINICAL_API_ERRORS, RecordId
from hipcare.web.rendering import PROCEDURE_NAMES, page, user_id

__all__ = ["api_router", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["clinical"], responses=CLINICAL_API_ERRORS)

User = Annotated[SessionUser, Depends(staff_page_user)]
FormUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]

BLANK_ROWS = 2
"""Empty complication and re-operation rows the form offers beside the recorded ones."""
MAX_ROWS = 50
"""The most complication or re-operation rows a form post is read for (input sanity)."""


class ComplicationOut(BaseModel):
    grade: str
    description: str
    date: str


class ReoperationOut(BaseModel):
    side: str
    date: str


class OutcomeOut(BaseModel):
    """An operation's recorded outcome; null and [] where nothing is recorded."""

    operation_id: int
    child_id: int
    surgery_date: str | None
    recorded: bool
    length_of_stay_days: int | None
    readmission_window_days: int
    readmitted_within_window: bool | None
    admission_date: str | None
    discharge_date: str | None
    complications: list[ComplicationOut]
    readmission_dates: list[str]
    return_to_theatre: bool | None
    reoperations: list[ReoperationOut]
    plate_removal_date: str | None
    recorded_by: int | None = None
    recorded_at: str | None = None


def _known_operation(error: InvalidInputError) -> None:
    """An unknown operation is 404 (the page or API path names nothing that exists)."""
    if error.field == "operation_id" and error.problem.startswith("no operation"):
        raise HTTPException(status_code=404, detail=error.problem) from None


def _view(context: WebContext, user: SessionUser, operation_id: int) -> OutcomeView:
    try:
        return operation_outcome(context.unit_of_work(), user_id(user), operation_id, context.now())
    except InvalidInputError as error:
        _known_operation(error)
        raise


def _form_document(form: Mapping[str, str]) -> dict[str, Any]:
    """The form's fields as the use case's JSON object (blank rows left out)."""

    def value(key: str) -> str | None:
        return (form.get(key) or "").strip() or None

    complications = []
    reoperations = []
    rows = form.get("rows", "")
    for index in range(min(int(rows), MAX_ROWS) if rows.isdecimal() else 0):
        grade, description, day = (
            value(f"complication_{key}_{index}") for key in ("grade", "description", "date")
        )
        if grade or description or day:
            complications.append({"grade": grade, "description": description, "date": day})
        side, reoperated = value(f"reoperation_side_{index}"), value(f"reoperation_date_{index}")
        if side or reoperated:
            reoperations.append({"side": side, "date": reoperated})
    theatre = {"yes": True, "no": False}.get(form.get("return_to_theatre", ""))
    return {
        "admission_date": value("admission_date"),
        "discharge_date": value("discharge_date"),
        "complications": complications,
        "readmission_dates": (value("readmission_dates") or "").replace(",", " ").split(),
        "return_to_theatre": theatre,
        "reoperations": reoperations,
        "plate_removal_date": value("plate_removal_date"),
    }


def _outcome_page(
    request: Request,
    context: WebContext,
    user: SessionUser,
    view: OutcomeView,
    *,
    form: Mapping[str, Any] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    document = (
        form
        if form is not None
        else outcome_document(view, context.content.outcome_content.thresholds)
    )
    rows = max(len(document["complications"]), len(document["reoperations"])) + BLANK_ROWS
    content = context.content.outcome_content
    return page(
        request,
        "clinical/outcome.html",
        {
            "view": view,
            "outcome": document,
            "rows": rows,
            "procedure_names": [
                PROCEDURE_NAMES.get(procedure, procedure.value)
                for procedure in view.plan.procedures
            ],
            "grades": [
                (grade.value, content.grade_descriptions.get(grade, ""))
                for grade in ComplicationGrade
            ],
            "classification_source": content.classification_source,
            "problem": problem,
        },
        user=user,
        status=status,
    )


@pages_router.get("/operations/{operation_id}/outcome")
async def outcome_page(
    request: Request, operation_id: RecordId, user: User, context: Context
) -> Response:
    return _outcome_page(request, context, user, _view(context, user, operation_id))


@pages_router.post("/operations/{operation_id}/outcome")
async def record_outcome_page(
    request: Request, operation_id: RecordId, user: FormUser, context: Context
) -> Response:
    form = {key: str(value) for key, value in (await request.form()).items()}
    document = _form_document(form)
    try:
        record_operation_outcome(
            context.unit_of_work(), user_id(user), operation_id, document, context.now()
        )
    except InvalidInputError as error:
        _known_operation(error)
        view = _view(context, user, operation_id)
        shown = {**outcome_document(view, context.content.outcome_content.thresholds), **document}
        shown["readmission_dates"] = document["readmission_dates"]
        return _outcome_page(
            request,
            context,
            user,
            view,
            form=shown,
            problem=f"{error.field}: {error.problem}",
            status=422,
        )
    return RedirectResponse(f"/operations/{operation_id}/outcome#outcome", status_code=303)


@pages_router.get("/sites/{site_id}/report")
async def site_report_page(
    request: Request, site_id: str, user: User, context: Context
) -> Response:
    """The site's outcomes report (clinicians of the site; audited)."""
    now = context.now()
    try:
        open_site_report(context.unit_of_work(), user_id(user), site_id, now)
    except InvalidInputError as error:
        if error.field == "site_id":
            raise HTTPException(status_code=404, detail=error.problem) from None
        raise
    content = context.content.outcome_content
    today = context.site_today(site_id, now)
    report = build_site_report(
        SqlAlchemyOutcomeRecords(context.session_factory).site_records(site_id),
        ReportContent(
            thresholds=content.thresholds,
            grade_descriptions=content.grade_descriptions,
            classification_source=content.classification_source,
            local_protocol_ids=content.local_protocol_ids,
        ),
        KaplanMeierEstimator(),
        today=today,
    )
    document = report_document(report)
    return page(
        request,
        "clinical/site_report.html",
        {
            "report": document,
            "survival_svg": Markup(hip_survival_svg(document["hip_survival"])),  # noqa: S704 -- our own SVG; every text in it is escaped by render.outcome_charts
            "survival_rows": survival_table_rows(document["hip_survival"]),
            "pairs_svg": Markup(  # noqa: S704 -- as above
                migration_percentage_pairs_svg(document["migration_percentage_by_hip"])
            ),
        },
        user=user,
    )


# --- JSON API ----------------------------------------------------------------------------------


@api_router.get("/operations/{operation_id}/outcome", response_model=OutcomeOut)
async def api_outcome(operation_id: RecordId, user: ApiUser, context: Context) -> OutcomeOut:
    """The operation's recorded outcome (clinicians of the child's site; audited)."""
    return OutcomeOut.model_validate(
        outcome_document(
            _view(context, user, operation_id), context.content.outcome_content.thresholds
        )
    )


@api_router.put("/operations/{operation_id}/outcome", response_model=OutcomeOut)
async def api_record_outcome(
    operation_id: RecordId,
    body: Annotated[dict[str, Any], Body()],
    user: ApiUser,
    context: Context,
) -> OutcomeOut:
    """Record (replace) the outcome: stay dates, complications graded by the modified
    Clavien-Dindo-Sink classification, readmissions, return to theatre, re-operations, plate
    removal. Impossible input is 422 naming the field."""
    try:
        view = record_operation_outcome(
            context.unit_of_work(), user_id(user), operation_id, body, context.now()
        )
    except InvalidInputError as error:
        _known_operation(error)
        raise
    return OutcomeOut.model_validate(
        outcome_document(view, context.content.outcome_content.thresholds)
    )
