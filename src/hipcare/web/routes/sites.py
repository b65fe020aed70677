"""Your sites: the home page (your sites with their contacts) and a site's audit log, as a
page (``/sites/{site}/audit``) and JSON (``/api/sites/{site}/audit``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from hipcare.domain.records import Role
from hipcare.services.accounts import SessionUser, site_audit_log
from hipcare.services.journey import staff_sites
from hipcare.web.auth import page_user, staff_api_user, staff_page_user
from hipcare.web.context import WebContext, web_context
from hipcare.web.models import API_ERRORS, NOT_FOUND, AuditEntryOut, audit_entry_out
from hipcare.web.rendering import page, sites_by_id, user_id

__all__ = ["api_router", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)

User = Annotated[SessionUser, Depends(staff_page_user)]
AnyUser = Annotated[SessionUser, Depends(page_user)]
"""Any signed-in account (the home page sends a family account on to /family)."""
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]
Context = Annotated[WebContext, Depends(web_context)]


@pages_router.get("/")
async def home(request: Request, user: AnyUser, context: Context) -> Response:
    if user.user.role is Role.FAMILY:  # a family's home is their own child's pages
        return RedirectResponse("/family", status_code=303)
    sites = staff_sites(context.unit_of_work(), user_id(user))
    details = sites_by_id()
    return page(
        request,
        "home.html",
        {"sites": [(site, details.get(site.id)) for site in sites]},
        user=user,
    )


@pages_router.get("/sites/{site_id}/audit")
async def audit(request: Request, site_id: str, user: User, context: Context) -> Response:
    entries = site_audit_log(context.unit_of_work(), user_id(user), site_id)
    return page(request, "audit.html", {"site_id": site_id, "entries": entries}, user=user)


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
