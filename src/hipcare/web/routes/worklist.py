"""The surveillance worklist: children of a site who need referral, are overdue or due
(``/worklist``, ``/sites/{site}/worklist`` and ``GET /api/sites/{site}/worklist``).

For the care team only (a family account gets 403); only the children shown are audited as
read (``hipcare.services.records``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from hipcare.domain.surveillance import WorklistStatus
from hipcare.services.accounts import SessionUser
from hipcare.services.worklist import (
    WORKLIST_PAGE_SIZE,
    WorklistOrder,
    site_worklist,
    site_worklist_page,
)
from hipcare.web.auth import staff_api_user, staff_page_user
from hipcare.web.clinical_models import WorklistEntryOut, worklist_entry_out
from hipcare.web.context import WebContext, web_context
from hipcare.web.models import CLINICAL_API_ERRORS, parse_record_id
from hipcare.web.rendering import choose_site_page, page, site_details, user_id

__all__ = ["WORKLIST_STATUSES", "api_router", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["clinical"], responses=CLINICAL_API_ERRORS)

User = Annotated[SessionUser, Depends(staff_page_user)]
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]
Context = Annotated[WebContext, Depends(web_context)]

WORKLIST_STATUSES = {
    "needs-referral": WorklistStatus.NEEDS_REFERRAL,
    "overdue": WorklistStatus.OVERDUE,
    "due": WorklistStatus.DUE,
}


@pages_router.get("/worklist")
async def worklist_home(request: Request, user: User, context: Context) -> Response:
    return choose_site_page(request, user, context, "worklist", "Surveillance worklist")


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
    found = site_worklist_page(
        context.unit_of_work(),
        user_id(user),
        site_id,
        context.content.surveillance_rules,
        today=today,
        now=now,
        status=wanted,
        order=order,
        limit=limit,
    )
    counts = {
        "needs-referral": found.counts.needs_referral,
        "overdue": found.counts.overdue,
        "due": found.counts.due,
    }
    return page(
        request,
        "clinical/worklist.html",
        {
            "site": site_details(site_id),
            "site_id": site_id,
            "entries": found.entries,
            "total": found.counts.total,
            "of_status": found.counts.total if wanted is None else counts[status],
            "counts": counts,
            "status": status if wanted else "",
            "sort": order.value,
            "sorts": _SORTS,
            "show_more": len(found.entries) + WORKLIST_PAGE_SIZE,
            "page_size": WORKLIST_PAGE_SIZE,
            "today": today,
        },
        user=user,
    )


# --- JSON API ----------------------------------------------------------------------------------


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
        user_id(user),
        site_id,
        context.content.surveillance_rules,
        today=context.today(now),
        now=now,
        status=None if status is None else WORKLIST_STATUSES[status],
    )
    return [worklist_entry_out(entry) for entry in entries]
