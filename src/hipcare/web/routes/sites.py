"""Your sites: the home page (your sites with their contacts); a site's audit log, as a page
in words with filters (``/sites/{site}/audit``), a CSV download (``/sites/{site}/audit.csv``)
and JSON (``/api/sites/{site}/audit``); and a site's alert routes page
(``/sites/{site}/alert-routes``). Site administrators only; every read and change audited.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from hipcare.domain.alert_routes import DAY_NAMES
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import Role
from hipcare.services.accounts import SessionUser, site_audit_log
from hipcare.services.alert_routes import set_site_alert_routes, site_alert_routes
from hipcare.services.audit_log import (
    ACTION_WORDS,
    AuditLogView,
    audit_filter_from_query,
    read_site_audit_log,
)
from hipcare.services.journey import staff_sites
from hipcare.web.auth import page_user, staff_api_user, staff_page_user, staff_page_user_with_form
from hipcare.web.context import Context, WebContext
from hipcare.web.models import API_ERRORS, NOT_FOUND, AuditEntryOut, audit_entry_out
from hipcare.web.rendering import page, site_timezone, user_id

__all__ = ["api_router", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)

User = Annotated[SessionUser, Depends(staff_page_user)]
FormUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]
AnyUser = Annotated[SessionUser, Depends(page_user)]
"""Any signed-in account (the home page sends a family account on to /family)."""
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]


@pages_router.get("/")
async def home(request: Request, user: AnyUser, context: Context) -> Response:
    if user.user.role is Role.FAMILY:  # a family's home is their own child's pages
        return RedirectResponse("/family", status_code=303)
    sites = staff_sites(context.unit_of_work(), user_id(user))
    details = context.content.sites_by_id
    return page(
        request,
        "home.html",
        {"sites": [(site, details.get(site.id)) for site in sites]},
        user=user,
    )


_FILTER_KEYS = ("who", "child", "action", "from", "to")


def _audit_view(
    request: Request, site_id: str, user: SessionUser, context: WebContext
) -> AuditLogView:
    query = {key: request.query_params.get(key, "") for key in _FILTER_KEYS}
    filters = audit_filter_from_query(query, timezone=site_timezone(context, site_id))
    return read_site_audit_log(
        context.unit_of_work(), user_id(user), site_id, filters, now=context.now()
    )


@pages_router.get("/sites/{site_id}/audit")
async def audit(request: Request, site_id: str, user: User, context: Context) -> Response:
    """The site's audit log in words, newest first, with filters (the read is audited)."""
    view = _audit_view(request, site_id, user, context)
    site = context.content.sites_by_id.get(site_id)
    return page(
        request,
        "audit.html",
        {
            "site_id": site_id,
            "site_name": site_id if site is None else site.name,
            "view": view,
            "zone": site_timezone(context, site_id),
            "query": {key: request.query_params.get(key, "") for key in _FILTER_KEYS},
            "actions": sorted(ACTION_WORDS.items(), key=lambda item: item[1]),
            "csv_query": str(request.query_params),
        },
        user=user,
    )


@pages_router.get("/sites/{site_id}/audit.csv")
async def audit_csv(request: Request, site_id: str, user: User, context: Context) -> Response:
    """The same entries as the page (same filters) as CSV; the download is audited as a read."""
    view = _audit_view(request, site_id, user, context)
    zone = site_timezone(context, site_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "when",
            "time zone",
            "user id",
            "user",
            "action",
            "action code",
            "child id",
            "child",
            "record type",
            "record id",
        ]
    )
    for named in view.entries:
        entry = named.entry
        writer.writerow(
            [
                entry.at.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds"),
                zone,
                entry.actor_id,
                _cell(named.actor_name),
                named.action_words,
                entry.action.value,
                "" if named.child_id is None else named.child_id,
                _cell(named.child_name or ""),
                entry.entity_type.value,
                entry.entity_id,
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{site_id}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _cell(text: str) -> str:
    """A name as a spreadsheet cell: one starting with = + - @ is kept as text (no formula)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def _routes_values(context: WebContext, site_id: str, view: object) -> dict[str, object]:
    site = context.content.sites_by_id.get(site_id)
    return {
        "site_id": site_id,
        "site_name": site_id if site is None else site.name,
        "routes": view,
        "zone": site_timezone(context, site_id),
        "day_names": DAY_NAMES,
        "escalation": context.content.alert_escalation,
        "fallback": context.settings.alert_email,
    }


@pages_router.get("/sites/{site_id}/alert-routes")
async def alert_routes(request: Request, site_id: str, user: User, context: Context) -> Response:
    """Where the site's diary alerts are emailed, and when (the read is audited)."""
    view = site_alert_routes(
        context.unit_of_work(),
        user_id(user),
        site_id,
        sites=context.content.sites_by_id,
        now=context.now(),
    )
    values = _routes_values(context, site_id, view)
    values["saved"] = request.query_params.get("saved") == "1"
    return page(request, "alert_routes.html", values, user=user)


@pages_router.post("/sites/{site_id}/alert-routes")
async def save_alert_routes(
    request: Request, site_id: str, user: FormUser, context: Context
) -> Response:
    """Save the site's routes (audited); bad input shows the form again naming the field."""
    raw = await request.form()
    form: dict[str, object] = {
        key: value.strip()
        for key, value in raw.items()
        if isinstance(value, str) and key not in ("csrf_token", "working_days")
    }
    form["working_days"] = [day for day in raw.getlist("working_days") if isinstance(day, str)]
    try:
        set_site_alert_routes(
            context.unit_of_work(),
            user_id(user),
            site_id,
            form,
            sites=context.content.sites_by_id,
            now=context.now(),
        )
    except InvalidInputError as error:
        view = site_alert_routes(
            context.unit_of_work(),
            user_id(user),
            site_id,
            sites=context.content.sites_by_id,
            now=context.now(),
        )
        values = _routes_values(context, site_id, view)
        values.update(error=error, form=form)
        return page(request, "alert_routes.html", values, user=user, status=422)
    return RedirectResponse(f"/sites/{site_id}/alert-routes?saved=1", status_code=303)


@api_router.get("/sites/{site_id}/audit", response_model=list[AuditEntryOut], responses=NOT_FOUND)
async def site_audit(
    site_id: str,
    user: ApiUser,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntryOut]:
    """The newest audit entries of a site's records (site administrators only)."""
    entries = site_audit_log(context.unit_of_work(), user_id(user), site_id, limit=limit)
    return [audit_entry_out(entry) for entry in entries]
