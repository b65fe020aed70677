"""Referrals to the orthopaedic clinic (issue 16): the child page's forms
(``POST /children/{id}/referrals``, ``.../referrals/{referral_id}/seen``) and the JSON API
(``POST /api/children/{id}/referrals``, ``.../referrals/{referral_id}/seen``).

A clinician of the child's site records them; bad input is refused naming the field (422),
another site's child is refused (403, audited) and an unknown child is not found (404), as
for every child API.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from hipcare.domain.referral import Referral, ReferralProtocol, ReferralState, referral_state
from hipcare.services.accounts import SessionUser
from hipcare.services.referrals import record_clinic_visit, record_referral
from hipcare.web.auth import staff_api_user, staff_page_user_with_form
from hipcare.web.context import Context
from hipcare.web.models import API_ERRORS, NOT_FOUND, RecordId
from hipcare.web.rendering import user_id

__all__ = ["ReferralIn", "ReferralOut", "api_router", "pages_router", "referral_out"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)

FormUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]


class ReferralIn(BaseModel):
    """Who the child is referred to (a surgeon or a clinic) and on which day."""

    model_config = ConfigDict(extra="forbid")

    referred_to: str = Field(min_length=1, max_length=200)
    referred_on: date


class ClinicVisitIn(BaseModel):
    """The day the clinic saw the child for this referral, and what it decided."""

    model_config = ConfigDict(extra="forbid")

    seen_on: date
    outcome: Literal["surgery planned", "watch and wait", "declined"]


class ReferralOut(BaseModel):
    """A referral and where it stands. ``seen_by``: the last day it is on time to be seen
    (local protocol, to be confirmed by the clinical lead); ``state``: referred, overdue,
    seen in clinic (the child's operation plan is not looked at here)."""

    id: int
    child_id: int
    referred_to: str
    referred_on: date
    seen_by: date
    seen_on: date | None
    outcome: str | None
    state: str
    to_be_confirmed_by_clinical_lead: bool


def referral_out(referral: Referral, today: date, protocol: ReferralProtocol) -> ReferralOut:
    """The API's view of a stored referral on ``today``."""
    if referral.id is None:  # pragma: no cover -- only stored referrals are shown
        raise RuntimeError("only a stored referral is shown")
    state = referral_state(referral, operation_planned=False, today=today)
    return ReferralOut(
        id=referral.id,
        child_id=referral.child_id,
        referred_to=referral.referred_to,
        referred_on=referral.referred_on,
        seen_by=referral.seen_by,
        seen_on=referral.seen_on,
        outcome=None if referral.outcome is None else referral.outcome.value,
        state=(state or ReferralState.REFERRED).value,
        to_be_confirmed_by_clinical_lead=protocol.local_protocol,
    )


# --- JSON API ----------------------------------------------------------------------------------


@api_router.post(
    "/children/{child_id}/referrals",
    response_model=ReferralOut,
    status_code=201,
    responses=NOT_FOUND,
)
async def api_record_referral(
    child_id: RecordId, body: ReferralIn, user: ApiUser, context: Context
) -> ReferralOut:
    """Record that the child was referred to the orthopaedic clinic (a clinician of the
    child's site). The worklist's "needs referral" clears; unseen after the local
    protocol's weeks it comes back as overdue."""
    now = context.now()
    today = context.today(now)
    referral = record_referral(
        context.unit_of_work(),
        user_id(user),
        child_id,
        body.model_dump(mode="json"),
        context.content.referral_protocol,
        today=today,
        now=now,
    )
    return referral_out(referral, today, context.content.referral_protocol)


@api_router.post(
    "/children/{child_id}/referrals/{referral_id}/seen",
    response_model=ReferralOut,
    responses=NOT_FOUND,
)
async def api_record_clinic_visit(
    child_id: RecordId, referral_id: RecordId, body: ClinicVisitIn, user: ApiUser, context: Context
) -> ReferralOut:
    """Record that the clinic saw the child for this referral, and the outcome."""
    now = context.now()
    today = context.today(now)
    referral = record_clinic_visit(
        context.unit_of_work(),
        user_id(user),
        child_id,
        referral_id,
        body.model_dump(mode="json"),
        today=today,
        now=now,
    )
    return referral_out(referral, today, context.content.referral_protocol)


# --- the child page's forms ----------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {
        key: value.strip()
        for key, value in raw.items()
        if isinstance(value, str) and key != "csrf_token" and value.strip()
    }


@pages_router.post("/children/{child_id:int}/referrals")
async def record_referral_form(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    now = context.now()
    record_referral(
        context.unit_of_work(),
        user_id(user),
        child_id,
        await _form(request),
        context.content.referral_protocol,
        today=context.today(now),
        now=now,
    )
    return RedirectResponse(f"/children/{child_id}#referral", status_code=303)


@pages_router.post("/children/{child_id:int}/referrals/{referral_id:int}/seen")
async def record_clinic_visit_form(
    request: Request, child_id: RecordId, referral_id: RecordId, user: FormUser, context: Context
) -> Response:
    now = context.now()
    record_clinic_visit(
        context.unit_of_work(),
        user_id(user),
        child_id,
        referral_id,
        await _form(request),
        today=context.today(now),
        now=now,
    )
    return RedirectResponse(f"/children/{child_id}#referral", status_code=303)
