"""Films from PACS: search the hospital's PACS for a child's series and pull one onto the record.

- ``GET /children/{id}/pacs?study_date=YYYY-MM-DD``: the "From PACS" panel: the series the
  PACS holds under the child's hospital numbers (of that date, when given): date, modality,
  description, number of images, and a Pull button each (audited ``pacs.searched``).
- ``POST /children/{id}/pacs/pull`` (``study_uid``, ``series_uid``, the form's CSRF token):
  retrieve the series and keep each image as an upload is kept, with the upload's identifier
  check; an image of another patient is refused with the reason (``pacs.pull-refused``).

Clinicians of the child's site only. Without ``HIPCARE_DICOMWEB_URL`` both answer 404.
Use cases: :mod:`hipcare.services.pacs`; the PACS adapter is the app's
(:class:`hipcare.interop.dicomweb.DicomWebPacs`, built by :func:`hipcare.web.create_app`).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hipcare.domain.errors import ExternalSystemError, InvalidInputError
from hipcare.services.accounts import SessionUser
from hipcare.services.pacs import PulledSeries, pull_series, search_pacs
from hipcare.services.records import get_child
from hipcare.web.auth import staff_page_user, staff_page_user_with_form
from hipcare.web.context import Context, WebContext
from hipcare.web.models import RecordId
from hipcare.web.rendering import error_page, page, user_id

__all__ = ["pages_router"]

pages_router = APIRouter(include_in_schema=False)

StaffUser = Annotated[SessionUser, Depends(staff_page_user)]
FormUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]

_NOT_SET_UP = "No PACS is set up for this hipcare (HIPCARE_DICOMWEB_URL)."


def _panel(
    request: Request,
    user: SessionUser,
    context: WebContext,
    child_id: int,
    *,
    study_date: str,
    search: object = None,
    errors: dict[str, str] | None = None,
    pulled: PulledSeries | None = None,
    status: int = 200,
) -> Response:
    record = get_child(context.unit_of_work(), user_id(user), child_id, now=context.now())
    return page(
        request,
        "pacs/search.html",
        {
            "child": record.child,
            "study_date": study_date,
            "today": context.today().isoformat(),
            "search": search,
            "errors": errors or {},
            "pulled": pulled,
        },
        user=user,
        status=status,
    )


@pages_router.get("/children/{child_id}/pacs")
async def search(
    request: Request,
    child_id: RecordId,
    user: StaffUser,
    context: Context,
    study_date: str = "",
) -> Response:
    pacs = context.pacs
    if pacs is None:
        return error_page(request, 404, "Not found", _NOT_SET_UP)
    now = context.now()
    try:
        found = await anyio.to_thread.run_sync(
            partial(
                search_pacs,
                context.unit_of_work(),
                user_id(user),
                child_id,
                study_date=study_date,
                now=now,
                pacs=pacs,
            )
        )
    except ExternalSystemError as error:
        return _panel(
            request, user, context, child_id, study_date=study_date,
            errors={"pacs": error.problem}, status=502,
        )  # fmt: skip
    except InvalidInputError as error:
        if error.field not in ("study_date", "hospital_number"):
            raise
        return _panel(
            request, user, context, child_id, study_date=study_date,
            errors={error.field: error.problem}, status=422,
        )  # fmt: skip
    return _panel(request, user, context, child_id, study_date=study_date, search=found)


@pages_router.post("/children/{child_id}/pacs/pull")
async def pull(request: Request, child_id: RecordId, user: FormUser, context: Context) -> Response:
    pacs = context.pacs
    if pacs is None:
        return error_page(request, 404, "Not found", _NOT_SET_UP)
    from hipcare.interop.radiograph.upload import read_uploaded_film

    form = await request.form()
    study_uid, series_uid = form.get("study_uid"), form.get("series_uid")
    study_date = str(form.get("study_date") or "")
    now = context.now()
    try:
        pulled = await anyio.to_thread.run_sync(
            partial(
                pull_series,
                context.unit_of_work(),
                user_id(user),
                child_id,
                study_uid=study_uid if isinstance(study_uid, str) else "",
                series_uid=series_uid if isinstance(series_uid, str) else "",
                today=context.today(now),
                now=now,
                pacs=pacs,
                read=read_uploaded_film,
            )
        )
    except ExternalSystemError as error:
        return _panel(
            request, user, context, child_id, study_date=study_date,
            errors={"pacs": error.problem}, status=502,
        )  # fmt: skip
    except InvalidInputError as error:
        if error.field not in ("study_uid", "series_uid", "hospital_number"):
            raise
        return _panel(
            request, user, context, child_id, study_date=study_date,
            errors={error.field: error.problem}, status=422,
        )  # fmt: skip
    return _panel(
        request, user, context, child_id, study_date=study_date, pulled=pulled,
        status=200 if pulled.stored else 422,
    )  # fmt: skip
