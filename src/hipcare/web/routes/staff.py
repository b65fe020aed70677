"""The staff page and API for site administrators (issue 18): invite by email, change role
and sites, deactivate and reactivate (:mod:`hipcare.services.staff` decides who may).

Pages: ``GET /staff``, ``POST /staff/invite``, ``POST /staff/{id}``. API: ``GET /api/staff``,
``POST /api/staff``, ``PATCH /api/staff/{id}``. The invitation link is emailed (SMTP, as
reminders); when it cannot be, the page and the API give it to the administrator to pass on.
"""

from __future__ import annotations

import logging
import smtplib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import Profession, User
from hipcare.services.accounts import SessionUser
from hipcare.services.family.reminders import smtp_sender
from hipcare.services.staff import (
    StaffInvitation,
    StaffMember,
    invite_staff,
    list_staff,
    staff_invitation_email,
    update_staff,
)
from hipcare.web.auth import staff_api_user, staff_page_user, staff_page_user_with_form
from hipcare.web.context import Context, WebContext
from hipcare.web.models import API_ERRORS, CONFLICT, RecordId
from hipcare.web.rendering import page, user_id

__all__ = ["api_router", "pages_router"]

_log = logging.getLogger("hipcare.web")

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["staff"], responses={**API_ERRORS, **CONFLICT})

PageUser = Annotated[SessionUser, Depends(staff_page_user)]
FormUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]

StaffRole = Literal["clinician", "site-administrator"]
ProfessionName = Literal["surgeon", "nurse", "physiotherapist", "occupational-therapist"]


class StaffOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: StaffRole
    profession: ProfessionName | None
    site_ids: list[str]
    active: bool
    second_factor: bool = Field(description="whether a TOTP authenticator is set up")
    invitation_open: bool = Field(description="invited, and the link is still unused")


class StaffInviteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    display_name: str = Field(max_length=200)
    role: StaffRole
    profession: ProfessionName | None = None
    site_ids: list[str] = Field(min_length=1, max_length=50)


class StaffInviteOut(BaseModel):
    staff: StaffOut
    emailed: bool = Field(description="whether the invitation left for the SMTP server")
    link: str | None = Field(
        description="the single-use link, given only when it could not be emailed"
    )


class StaffPatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=200)
    role: StaffRole | None = None
    profession: ProfessionName | None = None
    site_ids: list[str] | None = Field(default=None, min_length=1, max_length=50)
    active: bool | None = Field(default=None, description="false deactivates: sessions end")


def _out(user: User, invitation_open: bool = False) -> StaffOut:
    return StaffOut.model_validate(
        {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role.value,
            "profession": None if user.profession is None else user.profession.value,
            "site_ids": sorted(user.site_ids),
            "active": user.active,
            "second_factor": user.second_factor,
            "invitation_open": invitation_open,
        }
    )


def _base_url(request: Request, context: WebContext) -> str:
    """``HIPCARE_PUBLIC_URL`` when set, else the address the administrator used."""
    public = context.smtp.public_url if context.smtp is not None else ""
    return public or str(request.base_url).rstrip("/")


async def _email(
    request: Request, context: WebContext, invitation: StaffInvitation
) -> tuple[str, bool]:
    """The invitation's link and whether it was emailed."""
    link = f"{_base_url(request, context)}/set-password/{invitation.token}"
    if context.smtp is None:
        return link, False
    site_id = min(invitation.user.site_ids)
    site = context.content.sites_by_id.get(site_id)
    message = staff_invitation_email(
        invitation, link, site.name if site is not None else site_id, context.smtp.sender
    )
    try:
        await run_in_threadpool(smtp_sender(context.smtp), message)
    except (OSError, smtplib.SMTPException) as error:
        _log.warning(
            "staff invitation for user %s: email not sent (%s)",
            invitation.user.id,
            type(error).__name__,
        )
        return link, False
    return link, True


# --- pages -----------------------------------------------------------------------------------


def _staff_page(
    request: Request,
    context: WebContext,
    user: SessionUser,
    *,
    message: str | None = None,
    link: str | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    members: list[StaffMember] = list_staff(
        context.unit_of_work(), user_id(user), now=context.now()
    )
    sites = [
        (
            site_id,
            context.content.sites_by_id[site_id].name
            if site_id in context.content.sites_by_id
            else site_id,
        )
        for site_id in sorted(user.user.site_ids)
    ]
    return page(
        request,
        "staff/staff.html",
        {
            "members": members,
            "sites": sites,
            "professions": [profession.value for profession in Profession],
            "message": message,
            "link": link,
            "error": error,
            "form": form or {},
            "me": user_id(user),
        },
        user=user,
        status=status,
    )


@pages_router.get("/staff")
async def staff_page(request: Request, user: PageUser, context: Context) -> Response:
    """The staff of the administrator's sites, an invitation form and a form per person."""
    return _staff_page(request, context, user)


@pages_router.post("/staff/invite")
async def staff_invite(request: Request, user: FormUser, context: Context) -> Response:
    form = await request.form()
    body: dict[str, Any] = {
        "email": str(form.get("email", ""))[:320],
        "display_name": str(form.get("display_name", ""))[:200],
        "role": str(form.get("role", "")),
        "profession": str(form.get("profession", "")) or None,
        "site_ids": [str(site) for site in form.getlist("site_ids")],
    }
    try:
        invitation = invite_staff(context.unit_of_work(), user_id(user), body, now=context.now())
    except InvalidInputError as error:
        return _staff_page(
            request, context, user, error=f"{error.field}: {error.problem}", form=body, status=422
        )
    link, emailed = await _email(request, context, invitation)
    if emailed:
        return _staff_page(
            request, context, user, message=f"We emailed an invitation to {invitation.user.email}."
        )
    return _staff_page(
        request,
        context,
        user,
        message=f"The invitation could not be emailed. Give {invitation.user.email} this link:",
        link=link,
    )


@pages_router.post("/staff/{staff_id}")
async def staff_change(
    request: Request, staff_id: RecordId, user: FormUser, context: Context
) -> Response:
    form = await request.form()
    body: dict[str, Any] = {}
    if "display_name" in form:
        body["display_name"] = str(form.get("display_name", ""))[:200]
    if "role" in form:
        body["role"] = str(form.get("role", ""))
        body["profession"] = str(form.get("profession", "")) or None
    if "site_ids" in form or "sites_shown" in form:
        body["site_ids"] = [str(site) for site in form.getlist("site_ids")]
    if "active" in form:
        body["active"] = form.get("active") == "true"
    try:
        changed = update_staff(
            context.unit_of_work(), user_id(user), staff_id, body, now=context.now()
        )
    except InvalidInputError as error:
        return _staff_page(
            request, context, user, error=f"{error.field}: {error.problem}", status=422
        )
    what = "deactivated" if not changed.active else "saved"
    return _staff_page(request, context, user, message=f"{changed.display_name}: {what}.")


# --- JSON API --------------------------------------------------------------------------------


@api_router.get("/staff")
async def api_staff(user: ApiUser, context: Context) -> list[StaffOut]:
    """The staff of the administrator's sites, by name (the read is audited)."""
    members = list_staff(context.unit_of_work(), user_id(user), now=context.now())
    return [_out(member.user, member.invitation_open) for member in members]


@api_router.post("/staff", status_code=201)
async def api_invite_staff(
    request: Request, body: StaffInviteIn, user: ApiUser, context: Context
) -> StaffInviteOut:
    """Invite a member of staff to some of the administrator's sites: the account is made
    without a password and the single-use link (7 days) to set one is emailed."""
    invitation = invite_staff(
        context.unit_of_work(), user_id(user), body.model_dump(), now=context.now()
    )
    link, emailed = await _email(request, context, invitation)
    return StaffInviteOut(
        staff=_out(invitation.user, invitation_open=True),
        emailed=emailed,
        link=None if emailed else link,
    )


@api_router.patch("/staff/{staff_id}")
async def api_change_staff(
    staff_id: RecordId, body: StaffPatchIn, user: ApiUser, context: Context
) -> StaffOut:
    """Change name, role, profession or sites; ``"active": false`` deactivates (their
    sessions end at once), ``true`` reactivates."""
    changed = update_staff(
        context.unit_of_work(),
        user_id(user),
        staff_id,
        body.model_dump(exclude_unset=True),
        now=context.now(),
    )
    return _out(changed)
