"""A word with the team (issue 17): a child's message thread between its family and its care
team. The family's page ``/family/children/{id}/messages`` (phone first), the care team's
``/children/{id}/messages`` (linked from the child's page), and the JSON API
``/api/children/{id}/messages`` (staff) and ``/api/family/children/{id}/messages`` (family).

The use cases (:mod:`hipcare.services.family.messages`) decide who may read and write and
audit every read and post; times are written in the child's site's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.messages import MESSAGE_MAX_CHARS
from hipcare.domain.records import Child
from hipcare.services.accounts import SessionUser
from hipcare.services.family.messages import MessageThread, message_thread, post_message
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.auth import api_user, page_user, page_user_with_form
from hipcare.web.context import Context, WebContext
from hipcare.web.models import Problem, RecordId
from hipcare.web.rendering import (
    family_language,
    family_page,
    page,
    site_timezone,
    user_id,
)

__all__ = ["api_router", "pages_router"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body could not be read as JSON"},
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "not this child's family or care team, or no CSRF"},
    404: {"model": Problem, "description": "no such child"},
    422: {"model": Problem, "description": "the message is not valid; `field` says where"},
}
api_router = APIRouter(tags=["messages"], responses=_ERRORS)
pages_router = APIRouter(include_in_schema=False)

ApiUser = Annotated[SessionUser, Depends(api_user)]
User = Annotated[SessionUser, Depends(page_user)]
FormUser = Annotated[SessionUser, Depends(page_user_with_form)]


def _uow(context: WebContext) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(context.session_factory)


class MessageIn(BaseModel):
    body: str = Field(description=f"plain text, at most {MESSAGE_MAX_CHARS} characters")


class MessageOut(BaseModel):
    id: int
    side: str = Field(description="family or care-team")
    author_id: int
    body: str
    sent_at: dt.datetime
    read_at: dt.datetime | None = Field(description="when the other side first read it")


class ThreadOut(BaseModel):
    child_id: int
    reader_side: str
    messages: list[MessageOut]


class PostedOut(BaseModel):
    id: int


def _thread_out(thread: MessageThread) -> ThreadOut:
    return ThreadOut(
        child_id=thread.child.id or 0,
        reader_side=thread.reader_side.value,
        messages=[
            MessageOut(
                id=message.id,
                side=message.side.value,
                author_id=message.author_id,
                body=message.body,
                sent_at=message.sent_at,
                read_at=message.read_at,
            )
            for message in thread.messages
        ],
    )


async def _api_thread(child_id: int, user: SessionUser, context: WebContext) -> ThreadOut:
    thread = message_thread(_uow(context), user_id(user), child_id, now=context.now())
    return _thread_out(thread)


async def _api_post(
    child_id: int, body: MessageIn, user: SessionUser, context: WebContext
) -> PostedOut:
    message_id = post_message(_uow(context), user_id(user), child_id, body.body, now=context.now())
    return PostedOut(id=message_id)


@api_router.get("/api/children/{child_id}/messages", response_model=ThreadOut)
async def api_staff_thread(child_id: RecordId, user: ApiUser, context: Context) -> ThreadOut:
    """The child's thread for its care team (staff of its site); marks the family's
    messages read. Audited."""
    return await _api_thread(child_id, user, context)


@api_router.post("/api/children/{child_id}/messages", response_model=PostedOut, status_code=201)
async def api_staff_post(
    child_id: RecordId, body: MessageIn, user: ApiUser, context: Context
) -> PostedOut:
    """Write to the child's family. Audited."""
    return await _api_post(child_id, body, user, context)


@api_router.get("/api/family/children/{child_id}/messages", response_model=ThreadOut)
async def api_family_thread(child_id: RecordId, user: ApiUser, context: Context) -> ThreadOut:
    """The child's thread for a linked family member; marks the team's messages read."""
    return await _api_thread(child_id, user, context)


@api_router.post(
    "/api/family/children/{child_id}/messages", response_model=PostedOut, status_code=201
)
async def api_family_post(
    child_id: RecordId, body: MessageIn, user: ApiUser, context: Context
) -> PostedOut:
    """Write to the care team (they get an email that a message is waiting, no content)."""
    return await _api_post(child_id, body, user, context)


def _clock(context: WebContext, child: Child) -> Callable[[dt.datetime], dt.datetime]:
    """A moment on the child's site's clock (``sites.toml``'s time zone)."""
    zone = ZoneInfo(site_timezone(context, child.site_id))
    return lambda moment: moment.astimezone(zone)


def _family_values(
    context: WebContext, thread: MessageThread, *, error: str | None = None, draft: str = ""
) -> dict[str, Any]:
    child = thread.child
    site = context.content.sites_by_id.get(child.site_id)
    return {
        "child": child,
        "thread": thread,
        "site": site,
        "site_clock": _clock(context, child),
        "max_chars": MESSAGE_MAX_CHARS,
        "error": error,
        "draft": draft,
    }


@pages_router.get("/family/children/{child_id}/messages")
async def family_messages(
    request: Request, child_id: RecordId, user: User, context: Context
) -> Response:
    thread = message_thread(_uow(context), user_id(user), child_id, now=context.now())
    return family_page(
        request,
        "family/messages.html",
        {**_family_values(context, thread), "just_sent": request.query_params.get("sent") == "1"},
        user=user,
        words=family_language(request, thread.child),
    )


@pages_router.post("/family/children/{child_id}/messages")
async def family_message_post(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    form = await request.form()
    body = form.get("body", "")
    try:
        post_message(_uow(context), user_id(user), child_id, body, now=context.now())
    except InvalidInputError as error:
        thread = message_thread(
            _uow(context), user_id(user), child_id, now=context.now(), mark_read=False
        )
        return family_page(
            request,
            "family/messages.html",
            _family_values(
                context, thread, error=error.problem, draft=body if isinstance(body, str) else ""
            ),
            user=user,
            words=family_language(request, thread.child),
            status=422,
        )
    return RedirectResponse(f"/family/children/{child_id}/messages?sent=1#sent", status_code=303)


def _staff_values(
    context: WebContext, thread: MessageThread, *, error: str | None = None, draft: str = ""
) -> dict[str, Any]:
    child = thread.child
    return {
        "child": child,
        "thread": thread,
        "zone": site_timezone(context, child.site_id),
        "site_clock": _clock(context, child),
        "max_chars": MESSAGE_MAX_CHARS,
        "error": error,
        "draft": draft,
    }


@pages_router.get("/children/{child_id}/messages")
async def staff_messages(
    request: Request, child_id: RecordId, user: User, context: Context
) -> Response:
    thread = message_thread(_uow(context), user_id(user), child_id, now=context.now())
    return page(request, "child/messages.html", _staff_values(context, thread), user=user)


@pages_router.post("/children/{child_id}/messages")
async def staff_message_post(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    form = await request.form()
    body = form.get("body", "")
    try:
        post_message(_uow(context), user_id(user), child_id, body, now=context.now())
    except InvalidInputError as error:
        thread = message_thread(
            _uow(context), user_id(user), child_id, now=context.now(), mark_read=False
        )
        values = _staff_values(
            context, thread, error=error.problem, draft=body if isinstance(body, str) else ""
        )
        return page(request, "child/messages.html", values, user=user, status=422)
    return RedirectResponse(f"/children/{child_id}/messages#latest", status_code=303)
