"""The clinician's page of one child, ``GET /children/{id}``: the busiest page, served from
the page cache while the record is unchanged (:mod:`hipcare.web.rendering.child_page`,
ADR 10)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hipcare.web.models import RecordId
from hipcare.web.rendering import child_page_response

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/children/{child_id:int}")
async def child_page(request: Request, child_id: RecordId) -> Response:
    """The page: the session check, authorisation, audit row and versions in one short
    transaction (and the journey, on a miss). Anyone signed in may ask; the use case refuses,
    and audits, anyone not of the child's care team. No dependencies: solving them cost more
    than a cached view's own statements."""
    return child_page_response(request, child_id)
