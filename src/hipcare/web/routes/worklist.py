"""The surveillance worklist: children of a site who need referral, are overdue or due
(``/worklist``, ``/sites/{site}/worklist`` and ``GET /api/sites/{site}/worklist``).

For the care team only (a family account gets 403); only the children shown are audited as
read (``hipcare.services.records``).
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.surveillance import SurveillanceRules, WorklistStatus
from hipcare.services.accounts import SessionUser
from hipcare.services.worklist import (
    WORKLIST_PAGE_SIZE,
    WorklistOrder,
    site_worklist,
    site_worklist_page,
)
from hipcare.services.worklist_rows import WorklistRow, worklist_rows
from hipcare.web.auth import staff_api_user, staff_page_user
from hipcare.web.clinical_models import WorklistEntryOut, worklist_row_out
from hipcare.web.context import Context, WebContext
from hipcare.web.models import CLINICAL_API_ERRORS, parse_record_id
from hipcare.web.rendering import choose_site_page, page, rule_status, rule_title, user_id

__all__ = ["WORKLIST_STATUSES", "api_router", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["clinical"], responses=CLINICAL_API_ERRORS)

User = Annotated[SessionUser, Depends(staff_page_user)]
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]

WORKLIST_STATUSES = {
    "needs-referral": WorklistStatus.NEEDS_REFERRAL,
    "overdue": WorklistStatus.OVERDUE,
    "due": WorklistStatus.DUE,
}


@pages_router.get("/worklist")
async def worklist_home(request: Request, user: User, context: Context) -> Response:
    return choose_site_page(request, user, context, "worklist", "Surveillance worklist")


_SORTS = ("status", "review", "name")
_GMFCS_LEVELS = {level.value: level for level in GMFCS}
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
    gmfcs: str = "",
) -> Response:
    """The first children of the worklist (``show``, a page at first; "show more" adds a
    page) in the chosen order, and the counts by status of the whole list."""
    now = context.now()
    today = context.site_today(site_id, now)
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
        gmfcs=_GMFCS_LEVELS.get(gmfcs),
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
            "site": context.content.sites_by_id.get(site_id),
            "site_id": site_id,
            "entries": found.entries,
            "rows": worklist_rows(context.unit_of_work(), found.entries, today=today),
            "gmfcs": gmfcs if gmfcs in _GMFCS_LEVELS else "",
            "gmfcs_levels": tuple(_GMFCS_LEVELS),
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


@api_router.get(
    "/sites/{site_id}/worklist",
    response_model=list[WorklistEntryOut],
    responses={200: {"content": {"text/csv": {}}}},
)
async def api_worklist(
    site_id: str,
    user: ApiUser,
    context: Context,
    status: Annotated[str | None, Query(pattern="^(needs-referral|overdue|due)$")] = None,
    gmfcs: Annotated[str | None, Query(pattern="^(I|II|III|IV|V)$")] = None,
    sort: Annotated[str, Query(pattern="^(status|review|name)$")] = "status",
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    """Children of the site who need referral, are overdue or due (optionally one status
    and one GMFCS level), sorted; each with GMFCS, age, the latest MP per hip and its film
    date, the last film, days overdue and the referral's state. ``format=csv``: the same
    rows as a CSV file. Only the children returned are audited as read."""
    rows = _rows(context, user, site_id, status, gmfcs, sort)
    if format == "csv":
        return _csv_response(site_id, rows, context.content.surveillance_rules)
    return [worklist_row_out(row) for row in rows]


def _rows(
    context: WebContext,
    user: SessionUser,
    site_id: str,
    status: str | None,
    gmfcs: str | None,
    sort: str,
) -> list[WorklistRow]:
    now = context.now()
    today = context.site_today(site_id, now)
    entries = site_worklist(
        context.unit_of_work(),
        user_id(user),
        site_id,
        context.content.surveillance_rules,
        today=today,
        now=now,
        status=None if status is None else WORKLIST_STATUSES.get(status),
        gmfcs=None if gmfcs is None else _GMFCS_LEVELS.get(gmfcs),
        order=_ORDERS.get(sort, WorklistOrder.STATUS),
    )
    return worklist_rows(context.unit_of_work(), entries, today=today)


@pages_router.get("/sites/{site_id}/worklist.csv")
async def worklist_csv(
    site_id: str,
    user: User,
    context: Context,
    status: str = "",
    gmfcs: str = "",
    sort: str = "status",
) -> Response:
    """The worklist (the page's filters and order, every child) as a CSV download."""
    rows = _rows(context, user, site_id, status or None, gmfcs or None, sort)
    return _csv_response(site_id, rows, context.content.surveillance_rules)


_CSV_COLUMNS = (
    "child_id",
    "given_name",
    "family_name",
    "status",
    "next_review",
    "days_overdue",
    "gmfcs",
    "age_months",
    "right_migration_percentage",
    "right_film_date",
    "left_migration_percentage",
    "left_film_date",
    "last_film",
    "referral",
    "rule_id",
    "to_be_confirmed_by_clinical_lead",
    "problem",
    # Added after the first columns, never among them: a reader that counts columns keeps
    # reading the same ones.
    "rule_title",
    "rule_status",
)
_LOCAL_PROTOCOL_IN_WORDS = "local protocol: to be confirmed by the clinical lead"


def _cell(value: object) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted with an apostrophe
    (OWASP "CSV injection")."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _rule_in_words(rules: SurveillanceRules, rule_id: str | None) -> tuple[str, str]:
    """The rule's title and its status in words ("guideline", or local protocol to be
    confirmed by the clinical lead, as the page says); empty for no rule."""
    if not rule_id:
        return "", ""
    status = rule_status(rules, rule_id)
    in_words = _LOCAL_PROTOCOL_IN_WORDS if status == "local protocol" else status or ""
    return rule_title(rules, rule_id), in_words


def _csv_response(site_id: str, rows: list[WorklistRow], rules: SurveillanceRules) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_CSV_COLUMNS)
    for row in rows:
        entry, right, left = row.entry, row.right, row.left
        title, status = _rule_in_words(rules, entry.rule_id)
        writer.writerow(
            _cell(value)
            for value in (
                entry.child_id,
                entry.given_name,
                entry.family_name,
                None if entry.status is None else entry.status.value,
                None if entry.next_review is None else entry.next_review.isoformat(),
                row.days_overdue,
                None if row.gmfcs is None else row.gmfcs.value,
                row.age_months,
                None if right is None else f"{right.migration_percentage:g}",
                None if right is None else right.film_date.isoformat(),
                None if left is None else f"{left.migration_percentage:g}",
                None if left is None else left.film_date.isoformat(),
                None if row.last_film is None else row.last_film.isoformat(),
                None if row.referral.state is None else row.referral.state.value,
                entry.rule_id,
                "yes" if entry.to_be_confirmed_by_clinical_lead else "no",
                entry.problem,
                title,
                status,
            )
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="worklist-{site_id}.csv"',
            "cache-control": "no-store",
        },
    )
