"""The care team's dashboard: a site's children by phase of the journey and its alerts
(``/dashboard``, ``/sites/{site}/dashboard``, ``GET /api/sites/{site}/dashboard``), and
acknowledging an alert (a form and ``POST /api/children/{id}/alerts/{alert}/acknowledge``).

For the care team only (a family account gets 403); only a clinician acknowledges; the use
cases authorise and audit (``hipcare.services.care_team``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from hipcare.domain.records import Role
from hipcare.services.accounts import SessionUser
from hipcare.services.care_team import acknowledge_alert, list_dashboard
from hipcare.web.auth import staff_api_user, staff_page_user, staff_page_user_with_form
from hipcare.web.clinical_models import AlertOut, DashboardOut, alert_out, dashboard_out
from hipcare.web.context import Context
from hipcare.web.models import CLINICAL_API_ERRORS, CONFLICT, RecordId
from hipcare.web.rendering import (
    alert_in_words,
    choose_site_page,
    page,
    site_timezone,
    user_id,
)

__all__ = ["api_router", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["clinical"], responses=CLINICAL_API_ERRORS)

User = Annotated[SessionUser, Depends(staff_page_user)]
FormUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]


@pages_router.get("/dashboard")
async def dashboard_home(request: Request, user: User, context: Context) -> Response:
    return choose_site_page(request, user, context, "dashboard", "Care-team dashboard")


@pages_router.get("/sites/{site_id}/dashboard")
async def dashboard_page(request: Request, site_id: str, user: User, context: Context) -> Response:
    now = context.now()
    dashboard = list_dashboard(
        context.unit_of_work(),
        user_id(user),
        site_id,
        context.content.pathway,
        context.content.surveillance_rules,
        today=context.site_today(site_id, now),
        now=now,
    )
    zone = site_timezone(context, site_id)
    titles = {
        entry.alert.id: alert_in_words(entry.alert.kind, entry.diary_entry, zone)
        for entry in (*dashboard.open_alerts, *dashboard.acknowledged_alerts)
    }
    return page(
        request,
        "clinical/dashboard.html",
        {
            "dashboard": dashboard,
            "titles": titles,
            "zone": zone,
            "site": context.content.sites_by_id.get(site_id),
            "site_id": site_id,
            "can_acknowledge": user.user.role is Role.CLINICIAN,
        },
        user=user,
    )


@pages_router.post("/children/{child_id}/alerts/{alert_id}/acknowledge")
async def acknowledge_page(
    request: Request, child_id: RecordId, alert_id: RecordId, user: FormUser, context: Context
) -> Response:
    raw = await request.form()
    form = {key: value for key, value in raw.items() if isinstance(value, str)}
    acknowledge_alert(context.unit_of_work(), user_id(user), child_id, alert_id, now=context.now())
    site = form.get("site", "")
    target = (
        f"/sites/{site}/dashboard#alerts"
        if site.replace("-", "").isalnum()
        else f"/children/{child_id}#care-plan"
    )
    return RedirectResponse(target, status_code=303)


# --- JSON API ----------------------------------------------------------------------------------


@api_router.get("/sites/{site_id}/dashboard", response_model=DashboardOut)
async def api_dashboard(site_id: str, user: ApiUser, context: Context) -> DashboardOut:
    """The site's children by phase of the journey, and its alerts."""
    now = context.now()
    dashboard = list_dashboard(
        context.unit_of_work(),
        user_id(user),
        site_id,
        context.content.pathway,
        context.content.surveillance_rules,
        today=context.site_today(site_id, now),
        now=now,
    )
    return dashboard_out(dashboard)


@api_router.post(
    "/children/{child_id}/alerts/{alert_id}/acknowledge",
    response_model=AlertOut,
    responses=CONFLICT,
)
async def api_acknowledge(
    child_id: RecordId, alert_id: RecordId, user: ApiUser, context: Context
) -> AlertOut:
    """Acknowledge an alert (who and when are kept)."""
    alert = acknowledge_alert(
        context.unit_of_work(), user_id(user), child_id, alert_id, now=context.now()
    )
    return alert_out(alert)
