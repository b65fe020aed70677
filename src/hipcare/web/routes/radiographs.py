"""The radiograph viewer: upload a film on a child's page, measure it in the browser, compare.

The child page's films section is filled by :mod:`hipcare.web.rendering.child_page` from what
its use case read. Pages:

- ``GET /children/{id}/radiographs/new``, ``POST /children/{id}/radiographs``: upload a
  DICOM, PNG or JPEG file (at most ``MAX_UPLOAD_BYTES``); identifier warnings must be
  confirmed before the film is kept; a file that cannot be read is refused, nothing kept.
- ``GET /radiographs/{id}``: the viewer (``static/viewer.js``): landmarks placed with mouse,
  touch or keyboard; lines and measures live; the server's values once saved.
- ``GET /radiographs/{id}/preview.jpg?max_size=&window_centre=&window_width=``: the windowed
  8-bit JPEG, content-addressed: ``ETag`` is the preview cache key, ``Cache-Control:
  private, max-age=86400, immutable``, and ``If-None-Match`` answers 304. The sign-in and
  the site are checked, and the read audited, on every request, cached or not.
- ``GET /radiographs/{id}/readings/{reading}/overlay`` (and ``.../overlay.png``): the
  annotated overlay (WebP, at most 1024 px), drawn once when the reading was saved and kept
  with it (audited).
- ``POST /api/radiographs/{id}/readings/{reading}/confirmation`` (and the viewer's form at
  the same path without ``/api``): a surgeon confirms another clinician's reading.
- ``POST /api/radiographs/{id}/readings`` ``{"landmarks": {...}}`` (``X-CSRF-Token``): save
  the signed-in clinician's reading; answers the server's measures.

Use cases: :mod:`hipcare.services.radiographs` (authorisation, audit, blind rule).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph import (
    ACETABULAR_INDEX_SINGLE_FILM_ERROR_DEG,
    MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS,
)
from hipcare.domain.readings import READINGS_AGREE_WITHIN_POINTS
from hipcare.domain.records import Profession, Role, User
from hipcare.services.accounts import SessionUser
from hipcare.services.radiograph import HIP_LANDMARKS, PELVIS_LANDMARKS
from hipcare.services.radiographs import (
    MAX_UPLOAD_BYTES,
    IdentifiersNotConfirmedError,
    OverlayImage,
    Reading,
    StoredFilm,
    compare_readings,
    confirm_reading,
    film_content,
    film_image,
    open_film,
    reading_overlay,
    save_reading,
    store_radiograph,
)
from hipcare.services.records import get_child
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.auth import (
    page_user_with_form,
    staff_api_user,
    staff_page_user,
    staff_page_user_with_form,
)
from hipcare.web.context import Context, WebContext
from hipcare.web.decoded_films import DecodedFilms
from hipcare.web.models import Problem, RecordId
from hipcare.web.rendering import error_page, page, user_id

if TYPE_CHECKING:
    from hipcare.interop.radiograph.film import Radiograph

__all__ = ["api_router", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(
    prefix="/api",
    tags=["radiographs"],
    responses={
        401: {"model": Problem, "description": "not signed in"},
        403: {"model": Problem, "description": "not allowed, or the CSRF token is missing"},
        404: {"model": Problem, "description": "no such film"},
        422: {"model": Problem, "description": "the landmarks are not valid; `field` says where"},
    },
)

StaffUser = Annotated[SessionUser, Depends(staff_page_user)]


_HEAVY_THREADS = 2
"""Films decoded, previews and overlays drawn at once per worker process: each takes up to
a few hundred MB and a core for a second; more at once would only queue for the cores."""

_T = TypeVar("_T")


async def _off_the_event_loop(request: Request, work: Callable[[], _T]) -> _T:
    """Run ``work`` (decoding a film, drawing a preview or an overlay) on a bounded pool of
    threads, so the event loop keeps answering everyone else meanwhile (one 4096-px preview
    on the loop held ``/healthz`` for about a second). The bound is per app."""
    state = request.app.state
    limiter = getattr(state, "heavy_work_limiter", None)
    if limiter is None:
        limiter = state.heavy_work_limiter = CapacityLimiter(_HEAVY_THREADS)
    return await anyio.to_thread.run_sync(work, limiter=limiter)


_FORM_OVERHEAD_BYTES = 64 * 1024  # the other fields and the multipart boundaries


async def _upload_user(request: Request, context: Context) -> SessionUser:
    """:func:`staff_page_user_with_form` that also deletes the spooled upload when the
    request is refused (no session, wrong CSRF token, not staff). A body announced larger
    than a film may be is refused before it is read (the form is not parsed at all)."""
    announced = request.headers.get("content-length", "")
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    if (
        announced.isascii()
        and announced.isdigit()
        and int(announced) > MAX_UPLOAD_BYTES + _FORM_OVERHEAD_BYTES
    ):
        raise InvalidInputError(
            "file",
            f"is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB, the largest film accepted",
        )
    try:
        return await staff_page_user_with_form(await page_user_with_form(request, context))
    except Exception:
        await (await request.form()).close()
        raise


FormUser = Annotated[SessionUser, Depends(_upload_user)]
FormPageUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]

PREVIEW_CACHE_CONTROL = "private, max-age=86400, immutable"
"""Previews are content-addressed (the URL's settings and the film's hash make the ETag), so
a browser may keep one; ``private`` keeps shared caches from holding patient images."""

_PREVIEW_SIZES = (512, 1024, 2048)
_LANDMARK_LABELS = {
    "triradiate_right": "Triradiate cartilage, right (Hilgenreiner's line)",
    "triradiate_left": "Triradiate cartilage, left (Hilgenreiner's line)",
    "acetabulum_lateral": "Lateral edge of the acetabulum (Perkin's line)",
    "head_medial": "Femoral head, medial edge",
    "head_lateral": "Femoral head, lateral edge",
    "shaft_proximal": "Femoral shaft axis, upper point",
    "shaft_distal": "Femoral shaft axis, lower point",
    "head_centre": "Femoral head centre (neck axis)",
    "neck_base": "Middle of the neck base (neck axis)",
    "physis_medial": "Capital physis, medial edge",
    "physis_lateral": "Capital physis, lateral edge",
    "iliac_crest_right": "Iliac crest, right, highest point",
    "iliac_crest_left": "Iliac crest, left, highest point",
}


def _uow(context: WebContext) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(context.session_factory)


def _previews(request: Request) -> Any:
    """The app's in-process preview cache (bounded in bytes; made on first use)."""
    from hipcare.interop.radiograph.preview import PreviewCache

    state = request.app.state
    if getattr(state, "radiograph_previews", None) is None:
        state.radiograph_previews = PreviewCache()
    return state.radiograph_previews


def _recent_films(request: Request) -> DecodedFilms[Radiograph]:
    """The app's last few decoded films, each decoded once at a time (made on first use)."""
    state = request.app.state
    if getattr(state, "radiograph_recent_films", None) is None:
        state.radiograph_recent_films = DecodedFilms()
    recent: DecodedFilms[Radiograph] = state.radiograph_recent_films
    return recent


def landmark_names() -> list[tuple[str, str]]:
    """Every landmark the viewer offers, as (key, label); hip keys are "right.head_medial"."""
    names = [(name, _LANDMARK_LABELS[name]) for name in PELVIS_LANDMARKS[:2]]
    for side in ("right", "left"):
        names.extend(
            (f"{side}.{name}", f"{side.capitalize()} hip: {_LANDMARK_LABELS[name]}")
            for name in HIP_LANDMARKS
        )
    names.extend((name, _LANDMARK_LABELS[name]) for name in PELVIS_LANDMARKS[2:])
    return names


# --- upload ------------------------------------------------------------------------------------


def _upload_page(
    request: Request,
    user: SessionUser,
    context: WebContext,
    child_id: int,
    *,
    errors: Mapping[str, str],
    warnings: tuple[str, ...] = (),
    film_date: str = "",
    status: int = 200,
) -> Response:
    record = get_child(context.unit_of_work(), user_id(user), child_id, now=context.now())
    return page(
        request,
        "radiograph/upload.html",
        {
            "child": record.child,
            "errors": errors,
            "warnings": warnings,
            "film_date": film_date,
            "today": context.today().isoformat(),
            "max_megabytes": MAX_UPLOAD_BYTES // (1024 * 1024),
        },
        user=user,
        status=status,
    )


@pages_router.get("/children/{child_id}/radiographs/new")
async def upload_form(
    request: Request, child_id: RecordId, user: StaffUser, context: Context
) -> Response:
    return _upload_page(request, user, context, child_id, errors={})


@pages_router.post("/children/{child_id}/radiographs")
async def upload(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    form = await request.form()
    film_date = str(form.get("film_date") or "")
    confirmed = form.get("confirm_identifiers") == "yes"
    upload_file = form.get("file")
    data = b""
    try:
        if isinstance(upload_file, UploadFile):
            data = await upload_file.read(MAX_UPLOAD_BYTES + 1)
    finally:
        await form.close()  # the spooled upload is deleted now, not left to the collector
    from hipcare.interop.radiograph.upload import read_uploaded_film

    now = context.now()
    try:
        film = await _off_the_event_loop(
            request,
            partial(
                store_radiograph,
                _uow(context),
                user_id(user),
                child_id,
                data,
                film_date=film_date,
                confirmed=confirmed,
                today=context.today(now),
                now=now,
                read=read_uploaded_film,
            ),
        )
    except IdentifiersNotConfirmedError as error:
        return _upload_page(
            request,
            user,
            context,
            child_id,
            errors={"confirm_identifiers": error.problem},
            warnings=error.warnings,
            film_date=film_date,
            status=422,
        )
    except InvalidInputError as error:
        if error.field == "child_id":
            raise
        field = error.field if error.field in ("file", "film_date") else "file"
        return _upload_page(
            request,
            user,
            context,
            child_id,
            errors={field: error.problem},
            film_date=film_date,
            status=422,
        )
    return RedirectResponse(f"/radiographs/{film.id}", status_code=303)


# --- viewer --------------------------------------------------------------------------------------


def _names(context: WebContext, user_ids: set[int]) -> dict[int, str]:
    names = {}
    with context.unit_of_work() as uow:
        for user_id in user_ids:
            found: User | None = uow.users.get(user_id)
            names[user_id] = f"user {user_id}" if found is None else found.display_name
    return names


@pages_router.get("/radiographs/{film_id}")
async def viewer(
    request: Request, film_id: RecordId, user: StaffUser, context: Context
) -> Response:
    try:
        view = open_film(_uow(context), user_id(user), film_id, now=context.now())
    except InvalidInputError as error:
        return _not_found(request, error)
    readings = list(view.readings)
    names = _names(
        context,
        {reading.measured_by for reading in readings}
        | {reading.confirmed_by for reading in readings if reading.confirmed_by is not None},
    )
    surgeon = user.user.role is Role.CLINICIAN and user.user.profession is Profession.SURGEON
    confirmable = (
        [reading for reading in readings if reading.measured_by != user.user.id]
        if surgeon and all(reading.provisional for reading in readings)
        else []
    )
    comparison = compare_readings(readings[0], readings[1]) if len(readings) >= 2 else []
    return page(
        request,
        "radiograph/viewer.html",
        {
            "film": view.film,
            "child": view.child,
            "readings": readings,
            "own_reading": view.own_reading,
            "hidden_readings": view.hidden_readings,
            "names": names,
            "comparison": comparison,
            "landmarks": landmark_names(),
            "mp_error": MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS,
            "ai_error": ACETABULAR_INDEX_SINGLE_FILM_ERROR_DEG,
            "can_measure": user.user.role.value == "clinician" and view.own_reading is None,
            "confirmable": confirmable,
            "agree_points": READINGS_AGREE_WITHIN_POINTS,
        },
        user=user,
    )


def _not_found(request: Request, error: InvalidInputError) -> Response:
    if error.field != "radiograph_id":
        raise error
    return error_page(request, 404, "Not found", "There is no such film.")


def _window(centre: float | None, width: float | None) -> Any:
    from hipcare.interop.radiograph.display import Window

    if centre is None and width is None:
        return None
    if centre is None or width is None:
        raise InvalidInputError("window_width", "give both window_centre and window_width")
    return Window(centre, width)


@pages_router.get("/radiographs/{film_id}/preview.jpg")
async def preview(
    request: Request,
    film_id: RecordId,
    user: StaffUser,
    context: Context,
    max_size: Annotated[int, Query(ge=16, le=4096)] = 1024,
    window_centre: float | None = None,
    window_width: float | None = None,
) -> Response:
    from hipcare.interop.radiograph.preview import PreviewFormat, preview_cache_key
    from hipcare.interop.radiograph.reader import read_radiograph

    window = _window(window_centre, window_width)
    now = context.now()
    cache, recent = _previews(request), _recent_films(request)
    if_none_match = request.headers.get("if-none-match")
    # The film's decode once joined (DecodedFilms.join), and whether this request runs it.
    joined: list[tuple[str, Future[Radiograph], bool]] = []

    def join(sha256: str) -> tuple[Future[Radiograph], bool]:
        flight, mine = recent.join(sha256)
        joined.append((sha256, flight, mine))
        return flight, mine

    def give_up(error: BaseException) -> None:
        # Others may be waiting for the decode this request took on: they get its error.
        for sha256, flight, mine in joined:
            if mine:
                recent.abandon(sha256, flight, error)

    def key_of(film: StoredFilm) -> str:
        return preview_cache_key(film.sha256, window, max_size, PreviewFormat.JPEG)

    def file_needed(film: StoredFilm) -> bool:
        # A 304 or a cached preview needs no film; a film decoded in memory, or being decoded
        # for another request, needs no read of its file (the film's read is audited all the
        # same): only the request that is to decode the film reads it.
        key = key_of(film)
        if if_none_match == f'"{key}"' or cache.get(key) is not None:
            return False
        return join(film.sha256)[1]

    try:
        # On the threadpool, not the event loop: the film's file (up to MAX_UPLOAD_BYTES) is
        # read here (twenty at once held /healthz for 2 s). Not on the heavy pool either: a
        # 304 or a cached preview must not queue behind renders.
        film, content = await run_in_threadpool(
            film_image, _uow(context), user_id(user), film_id, now=now, file_needed=file_needed
        )
    except BaseException as error:
        give_up(error)
        if isinstance(error, InvalidInputError):
            return _not_found(request, error)
        raise
    key = key_of(film)
    headers = {"ETag": f'"{key}"', "Cache-Control": PREVIEW_CACHE_CONTROL}
    if if_none_match == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    try:
        flight, mine = (joined[0][1], joined[0][2]) if joined else (None, False)
        # The decode this request took on is run even if the preview was drawn meanwhile.
        cached: Any = None if mine else cache.get(key)
        if cached is None:
            if flight is None:  # the preview was cached when film_image looked, evicted since
                flight, mine = join(film.sha256)
            if not mine:
                radiograph = await asyncio.wrap_future(flight)
            else:
                if content is None:  # evicted since film_image looked: read it (audited again)
                    read = await run_in_threadpool(
                        film_content, _uow(context), user_id(user), film_id, now=now
                    )
                    content = read[1]
                radiograph = await _off_the_event_loop(
                    request,
                    partial(recent.decode, film.sha256, flight, partial(read_radiograph, content)),
                )
            cached = await _off_the_event_loop(
                request, partial(cache.get_or_render, radiograph, max_size=max_size, window=window)
            )
    except BaseException as error:
        give_up(error)
        raise
    return Response(cached.data, media_type=cached.media_type, headers=headers)


def draw_overlay(content: bytes, document: Mapping[str, Any]) -> OverlayImage:
    """The small overlay kept with a reading (WebP, at most ``STORED_OVERLAY_MAX_SIZE_PX``):
    the film read from its file, the landmarks parsed and measured by the services, drawn by
    :func:`hipcare.render.overlay.render_overlay`."""
    from hipcare.interop.radiograph.reader import read_radiograph
    from hipcare.render.overlay import STORED_OVERLAY_MAX_SIZE_PX, render_overlay
    from hipcare.services.radiograph import measure_radiograph, parse_film

    film_document = dict(document)
    landmarks, spacing = parse_film(film_document)
    drawn = render_overlay(
        read_radiograph(content),
        landmarks,
        spacing,
        measure_radiograph(film_document),
        max_size=STORED_OVERLAY_MAX_SIZE_PX,
        image_format="WEBP",
    )
    return OverlayImage(
        media_type=drawn.media_type, width=drawn.width, height=drawn.height, content=drawn.png
    )


@pages_router.get("/radiographs/{film_id}/readings/{reading_id}/overlay")
@pages_router.get("/radiographs/{film_id}/readings/{reading_id}/overlay.png")
async def overlay(
    request: Request, film_id: RecordId, reading_id: RecordId, user: StaffUser, context: Context
) -> Response:
    """The reading's overlay as kept when it was saved (drawn now only if it never was).
    ``.png`` is the address of earlier versions; the image is the kept one (WebP)."""
    try:
        found = await _off_the_event_loop(
            request,
            partial(
                reading_overlay,
                _uow(context),
                user_id(user),
                film_id,
                reading_id,
                now=context.now(),
                draw_overlay=draw_overlay,
            ),
        )
    except InvalidInputError as error:
        if error.field == "reading_id":
            return error_page(request, 404, "Not found", "There is no such reading to show you.")
        return _not_found(request, error)
    etag = '"' + hashlib.sha256(found.content).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": PREVIEW_CACHE_CONTROL}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(found.content, media_type=found.media_type, headers=headers)


@api_router.post("/radiographs/{film_id}/readings")
async def save_reading_api(
    request: Request, film_id: RecordId, user: ApiUser, context: Context
) -> Response:
    """Save the signed-in clinician's landmarks on the film; answers the server's measures."""
    try:
        document = await request.json()
    except ValueError:
        raise InvalidInputError("body", "send the landmarks as JSON") from None
    reading = await _off_the_event_loop(
        request,
        partial(
            save_reading,
            _uow(context),
            user_id(user),
            film_id,
            document,
            now=context.now(),
            rules=context.content.surveillance_rules,
            draw_overlay=draw_overlay,
        ),
    )
    return JSONResponse(
        {
            "reading_id": reading.id,
            "visit_id": reading.visit_id,
            "measured_at": reading.measured_at.isoformat(),
            "measures": dict(reading.measures),
        },
        status_code=201,
    )


@api_router.post("/radiographs/{film_id}/readings/{reading_id}/confirmation")
async def confirm_reading_api(
    film_id: RecordId, reading_id: RecordId, user: ApiUser, context: Context
) -> Response:
    """A surgeon confirms another clinician's reading: it becomes the record's measure."""
    reading = confirm_reading(
        _uow(context),
        user_id(user),
        film_id,
        reading_id,
        now=context.now(),
        rules=context.content.surveillance_rules,
    )
    return JSONResponse(_confirmation_json(reading))


def _confirmation_json(reading: Reading) -> dict[str, Any]:
    return {
        "reading_id": reading.id,
        "confirmation": None if reading.confirmation is None else reading.confirmation.value,
        "confirmed_by": reading.confirmed_by,
        "confirmed_at": None if reading.confirmed_at is None else reading.confirmed_at.isoformat(),
    }


@pages_router.post("/radiographs/{film_id}/readings/{reading_id}/confirmation")
async def confirm_reading_form(
    request: Request, film_id: RecordId, reading_id: RecordId, user: FormPageUser, context: Context
) -> Response:
    """The viewer's "Confirm this reading" button (a form with the CSRF token)."""
    try:
        confirm_reading(
            _uow(context),
            user_id(user),
            film_id,
            reading_id,
            now=context.now(),
            rules=context.content.surveillance_rules,
        )
    except InvalidInputError as error:
        if error.field == "radiograph_id":
            return _not_found(request, error)
        return error_page(request, 422, "Not confirmed", f"{error.field}: {error.problem}")
    # Confirmed from the child's page (its form names the child): back to its films.
    child = str((await request.form()).get("child_id") or "")
    if child.isascii() and child.isdigit():
        return RedirectResponse(f"/children/{int(child)}#radiographs", status_code=303)
    return RedirectResponse(f"/radiographs/{film_id}", status_code=303)
