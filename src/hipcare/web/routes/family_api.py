"""The family side's JSON API under ``/api/family``: the family's children, "today", ticking
a care-plan item, and the home diary.

Every call checks who is asking (401 without a session) and every POST needs the session's
CSRF token in ``X-CSRF-Token``; the use cases (``hipcare.services.family``) decide who may
see what and audit every read and change.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from hipcare.services import family as use
from hipcare.services.accounts import SessionUser
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.auth import api_user
from hipcare.web.context import Context, WebContext
from hipcare.web.models import CONFLICT, Problem, RecordId
from hipcare.web.rendering import diary_outcome, family_language, user_id

__all__ = ["api_router"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body could not be read as JSON"},
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "not this family's child, or no CSRF token"},
    404: {"model": Problem, "description": "no such child or entry"},
    422: {"model": Problem, "description": "the input is not valid; `field` says where"},
}
api_router = APIRouter(prefix="/api/family", tags=["family"], responses=_ERRORS)

ApiUser = Annotated[SessionUser, Depends(api_user)]


def _uow(context: WebContext) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(context.session_factory)


class FamilyChildOut(BaseModel):
    id: int
    given_name: str
    preferred_language: str


class FamilyItemOut(BaseModel):
    id: str
    date: dt.date
    title: str
    phase: str
    owner: str
    done: bool
    tickable: bool
    to_be_confirmed_by_clinical_lead: bool
    kind: str = Field(default="task", description="task (dated) or information (read, not ticked)")


class DayOfSurgeryStepOut(BaseModel):
    step: str = Field(description="food, milk, clear-fluids or arrival")
    at: dt.datetime = Field(description="the site's local clock time")
    text: str


class FamilyTodayOut(BaseModel):
    child_id: int
    today: dt.date
    language: str
    plan_started: bool
    today_items: list[FamilyItemOut]
    still_to_do: list[FamilyItemOut]
    coming_next: list[FamilyItemOut]
    done_count: int
    total_count: int
    surgery_date_changed: bool = Field(
        default=False, description="the operation was postponed lately (the page's banner)"
    )
    day_of_surgery: list[DayOfSurgeryStepOut] = []
    what_to_bring: list[str] = []
    day_of_surgery_to_be_confirmed_by_clinical_lead: bool = False


class DiaryEntryIn(BaseModel):
    kind: str = Field(description="pain-r-flacc, pain-numeric, skin, medicine or unwell")
    face: int | None = None
    legs: int | None = None
    activity: int | None = None
    cry: int | None = None
    consolability: int | None = None
    pain_score: int | None = None
    skin_finding: str | None = None
    skin_where: str | None = None
    medicine: str | None = None
    given_at: str | None = None
    description: str | None = None
    note: str | None = None


class DiaryEntryOut(BaseModel):
    id: int
    kind: str
    recorded_at: dt.datetime
    urgency: str
    alert_id: int | None
    data: dict[str, Any]
    advice: list[str] = []
    contacts: list[dict[str, str]] = []
    to_be_confirmed_by_clinical_lead: bool = False


def _item_out(item: use.FamilyItem) -> FamilyItemOut:
    return FamilyItemOut(
        id=item.id,
        date=item.entry.date,
        title=item.entry.title,
        phase=item.entry.phase,
        owner=item.entry.owner,
        done=item.done,
        tickable=item.tickable,
        to_be_confirmed_by_clinical_lead=item.entry.to_be_confirmed,
        kind=item.entry.kind,
    )


@api_router.get("/children", response_model=list[FamilyChildOut])
async def api_children(user: ApiUser, context: Context) -> list[FamilyChildOut]:
    """The children this family member is linked to."""
    return [
        FamilyChildOut(
            id=child.id or 0,
            given_name=child.given_name,
            preferred_language=child.preferred_language,
        )
        for child in use.family_children(_uow(context), user_id(user), now=context.now())
    ]


@api_router.get("/children/{child_id}/today", response_model=FamilyTodayOut)
async def api_today(
    request: Request, child_id: RecordId, user: ApiUser, context: Context
) -> FamilyTodayOut:
    """Today's steps, what is still to do and what comes next."""
    now = context.now()
    view = use.family_today(
        _uow(context),
        user.user,
        child_id,
        context.content.pathway_content,
        lambda child: family_language(request, child),
        today=context.today(now),
        now=now,
    )
    words = view.words or context.content.words("en")
    return FamilyTodayOut(
        child_id=child_id,
        today=view.today,
        language=words.code,
        plan_started=view.plan is not None,
        today_items=[_item_out(item) for item in view.today_items],
        still_to_do=[_item_out(item) for item in view.still_to_do],
        coming_next=[_item_out(item) for item in view.coming_next],
        done_count=view.done_count,
        total_count=view.total_count,
        surgery_date_changed=view.postponed,
        day_of_surgery=[
            DayOfSurgeryStepOut(step=line.step, at=line.moment, text=line.text)
            for line in view.day_of_surgery_lines
        ],
        what_to_bring=list(view.what_to_bring),
        day_of_surgery_to_be_confirmed_by_clinical_lead=view.day_of_surgery is not None
        and view.day_of_surgery.to_be_confirmed,
    )


class TickOut(BaseModel):
    item_id: str
    done: bool
    done_at: dt.datetime | None


@api_router.post(
    "/children/{child_id}/items/{item_id}/tick", response_model=TickOut, responses=CONFLICT
)
async def api_tick(child_id: RecordId, item_id: str, user: ApiUser, context: Context) -> TickOut:
    """Tick one of the family's own one-off steps (the care team sees it ticked): 403 for the
    care team's items, 409 when it is done already."""
    state = use.tick_family_item(
        _uow(context),
        user_id(user),
        child_id,
        item_id,
        context.content.pathway_content,
        now=context.now(),
    )
    return TickOut(item_id=state.item_id, done=state.done, done_at=state.done_at)


def _diary_out(entry: use.StoredDiaryEntry) -> DiaryEntryOut:
    return DiaryEntryOut(
        id=entry.id,
        kind=entry.kind.value,
        recorded_at=entry.recorded_at,
        urgency=entry.urgency.value,
        alert_id=entry.alert_id,
        data=dict(entry.data),
    )


@api_router.post("/children/{child_id}/diary", response_model=DiaryEntryOut, status_code=201)
async def api_diary_add(
    request: Request, child_id: RecordId, body: DiaryEntryIn, user: ApiUser, context: Context
) -> DiaryEntryOut:
    """Add a diary entry; past a threshold it raises a care-team alert and says whom to call."""
    uow = _uow(context)
    now = context.now()
    child = use.child_for_family(uow, user_id(user), child_id, now=now, audit=False)
    document = body.model_dump(exclude_none=True)
    record = use.record_diary_entry(
        uow, user_id(user), child_id, document, context.content.diary_rules, now=now
    )
    outcome = diary_outcome(
        child, record.assessment, family_language(request, child), context.content.sites_by_id
    )
    out = _diary_out(record.entry)
    out.advice = outcome["advice"]
    out.contacts = outcome["contacts"]
    out.to_be_confirmed_by_clinical_lead = outcome["to_be_confirmed"]
    return out


@api_router.get("/children/{child_id}/diary", response_model=list[DiaryEntryOut])
async def api_diary(child_id: RecordId, user: ApiUser, context: Context) -> list[DiaryEntryOut]:
    """The child's newest diary entries (the family and the child's care team)."""
    entries = use.diary_entries(_uow(context), user_id(user), child_id, now=context.now())
    return [_diary_out(entry) for entry in entries]
