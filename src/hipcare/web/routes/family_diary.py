"""The family's home diary: pain (r-FLACC or a number), skin, medicines, feeling unwell, with
a photo; what to do is said at once after an entry, and past a threshold an alert goes to the
care team (``/family/children/{id}/diary``). The family's own words for their child's pain
(``pain-words``) help the r-FLACC form.

The use cases (``hipcare.services.family``) decide who may see what and audit every read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from hipcare.content.i18n import Translator
from hipcare.content.sites import Site
from hipcare.domain.diary import R_FLACC_CATEGORIES
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import Child
from hipcare.services import family as use
from hipcare.services.accounts import SessionUser
from hipcare.services.family.alert_follow_up import alert_follow_up
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.auth import page_user, page_user_with_form
from hipcare.web.context import Context, WebContext
from hipcare.web.models import RecordId
from hipcare.web.rendering import (
    SKIN_CHOICES,
    diary_outcome,
    family_language,
    family_page,
    site_timezone,
    user_id,
)

__all__ = ["pages_router"]

pages_router = APIRouter(include_in_schema=False)

User = Annotated[SessionUser, Depends(page_user)]
FormUser = Annotated[SessionUser, Depends(page_user_with_form)]


def _uow(context: WebContext) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(context.session_factory)


def _diary_values(
    context: WebContext, user: SessionUser, child: Child, words: Translator
) -> dict[str, Any]:
    uow = _uow(context)
    now = context.now()
    return {
        "child": child,
        "entries": use.diary_entries(uow, user_id(user), child.id or 0, now=now, limit=20),
        "descriptors": use.pain_descriptors(uow, user_id(user), child.id or 0, now=now),
        "categories": R_FLACC_CATEGORIES,
        "skin_choices": SKIN_CHOICES,
        "skin_labels": {choice.value: key for choice, key in SKIN_CHOICES},
        "outcome": None,
        "errors": {},
        "form": {},
        "follow_up": alert_follow_up(uow, user_id(user), child.id or 0, now=now),
        "clock_time": _clock_time(context, child),
        "local": lambda moment: moment.astimezone(ZoneInfo(site_timezone(context, child.site_id))),
        "call_now_contacts": _call_now(child, words, context.content.sites_by_id),
        "after_surgery": use.surgery_phase(
            uow, child.id or 0, context.site_today(child.site_id, now)
        ).value
        == "after-surgery",
    }


def _clock_time(context: WebContext, child: Child) -> Callable[[datetime], str]:
    """A moment as the child's site's clock shows it, HH:MM (``sites.toml``'s time zone)."""
    zone = ZoneInfo(site_timezone(context, child.site_id))
    return lambda moment: moment.astimezone(zone).strftime("%H:%M")


def _call_now(child: Child, words: Translator, sites: Mapping[str, Site]) -> list[dict[str, str]]:
    """Whom the family can call while the care team has not seen an alert (the contacts of
    the child's site among ``sites``)."""
    site = sites.get(child.site_id)
    found = [] if site is None else [site.contact(role) for role in ("orthopaedic-nurse", "ward")]
    return [
        {
            "label": words.gettext(contact.label),
            "phone": contact.phone,
            "hours": words.gettext(contact.hours),
        }
        for contact in found
        if contact is not None
    ]


@pages_router.get("/family/children/{child_id}/diary")
async def diary_page(
    request: Request, child_id: RecordId, user: User, context: Context
) -> Response:
    child = use.child_for_family(
        _uow(context), user_id(user), child_id, now=context.now(), audit=False
    )
    words = family_language(request, child)
    return family_page(
        request,
        "family/diary.html",
        _diary_values(context, user, child, words),
        user=user,
        words=words,
    )


@pages_router.post("/family/children/{child_id}/diary")
async def diary_add(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    uow = _uow(context)
    now = context.now()
    child = use.child_for_family(uow, user_id(user), child_id, now=now, audit=False)
    words = family_language(request, child)
    raw = await request.form()
    form = {key: value for key, value in raw.items() if isinstance(value, str)}
    upload = raw.get("photo")
    photo = None
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read(use.PHOTO_MAX_BYTES + 1)
            photo = (upload.content_type or "", content)
    finally:
        await raw.close()
    try:
        # On the threadpool: the photo (up to PHOTO_MAX_BYTES) is written in this transaction.
        record = await run_in_threadpool(
            use.record_diary_entry,
            uow,
            user_id(user),
            child_id,
            form,
            context.content.diary_rules,
            now=now,
            photo=photo,
        )
    except InvalidInputError as error:
        values = _diary_values(context, user, child, words)
        values.update(errors={error.field: error.problem}, form=form)
        return family_page(request, "family/diary.html", values, user=user, words=words, status=422)
    values = _diary_values(context, user, child, words)
    values["outcome"] = diary_outcome(child, record.assessment, words, context.content.sites_by_id)
    return family_page(request, "family/diary.html", values, user=user, words=words)


@pages_router.post("/family/children/{child_id}/pain-words")
async def pain_words(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    form = await request.form()
    use.save_pain_descriptors(
        _uow(context),
        user_id(user),
        child_id,
        {key: form.get(key, "") for key in R_FLACC_CATEGORIES},
        now=context.now(),
    )
    return RedirectResponse(f"/family/children/{child_id}/diary#my-words", status_code=303)


@pages_router.get("/family/children/{child_id}/diary/{entry_id}/photo")
def diary_photo(
    request: Request, child_id: RecordId, entry_id: RecordId, user: User, context: Context
) -> Response:
    """The photo (up to ``PHOTO_MAX_BYTES``), read in a plain ``def`` so Starlette runs it on
    its threadpool, not on the event loop."""
    content_type, content = use.diary_photo(
        _uow(context), user_id(user), child_id, entry_id, now=context.now()
    )
    return Response(content, media_type=content_type, headers={"x-content-type-options": "nosniff"})
