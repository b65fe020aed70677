"""Children: search by name and register a child, as pages (``/children``,
``/children/new``) and JSON (``/api/children``, ``/api/children/{id}``).

Forms work without JavaScript. A form with a mistake comes back with what was typed and a
message next to the field at fault; nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import Child
from hipcare.services.accounts import SessionUser
from hipcare.services.child_merge import merge_child
from hipcare.services.journey import staff_sites
from hipcare.services.records import (
    MINIMUM_SEARCH_LENGTH,
    LikelyDuplicateError,
    find_children,
    get_child,
    register_child,
)
from hipcare.web.auth import staff_api_user, staff_page_user, staff_page_user_with_form
from hipcare.web.context import Context, WebContext
from hipcare.web.models import (
    API_ERRORS,
    NOT_FOUND,
    ChildIn,
    ChildOut,
    ChildSummary,
    LikelyDuplicatesOut,
    MergedOut,
    MergeIn,
    RecordId,
    child_out,
    child_summary,
)
from hipcare.web.rendering import page, user_id

__all__ = ["api_router", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)

User = Annotated[SessionUser, Depends(staff_page_user)]
FormUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(staff_api_user)]

GMFCS_CHOICES = ("I", "II", "III", "IV", "V")
SEX_CHOICES = (
    ("unknown", "Not recorded"),
    ("female", "Female"),
    ("male", "Male"),
    ("other", "Other"),
)
CONTACT_SLOTS = 2
"""Family contacts the registration form offers (more can be added through the API)."""


# --- pages -------------------------------------------------------------------------------------


@pages_router.get("/children")
async def search(request: Request, user: User, context: Context, name: str = "") -> Response:
    found = None
    error = None
    if name.strip():
        try:
            found = find_children(context.unit_of_work(), user_id(user), name, now=context.now())
        except InvalidInputError as problem:
            error = problem.problem
    return page(
        request,
        "child/search.html",
        {"name": name, "found": found, "error": error, "minimum": MINIMUM_SEARCH_LENGTH},
        user=user,
        status=422 if error else 200,
    )


def _register_values(
    context: WebContext,
    user: SessionUser,
    form: Mapping[str, str],
    errors: Mapping[str, str],
    duplicates: Sequence[Child] = (),
) -> dict[str, Any]:
    sites = staff_sites(context.unit_of_work(), user_id(user))
    return {
        "form": form,
        "errors": errors,
        "duplicates": duplicates,
        "sex_choices": SEX_CHOICES,
        "sites": sites,
        "languages": context.content.languages,
        "gmfcs_choices": GMFCS_CHOICES,
        "contact_slots": range(1, CONTACT_SLOTS + 1),
        "today": context.today().isoformat(),
    }


@pages_router.get("/children/new")
async def register_form(request: Request, user: User, context: Context, site: str = "") -> Response:
    form = {"site": site} if site else {}
    return page(
        request, "child/register.html", _register_values(context, user, form, {}), user=user
    )


_FORM_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "site",
    "preferred_language",
    "gmfcs",
    "gestation_weeks",
    "administrative_sex",
    "hospital_number_system",
    "hospital_number_value",
)
_CONTACT_FIELDS = ("name", "relationship", "phone", "email")


def _registration_document(form: Mapping[str, str]) -> dict[str, Any]:
    """The registration form as the JSON-shaped document ``register_child`` reads."""
    document: dict[str, Any] = {}
    for key in ("given_name", "family_name", "date_of_birth", "site", "preferred_language"):
        if form.get(key, "").strip():
            document[key] = form[key]
    document["gmfcs"] = form.get("gmfcs", "").strip() or "unknown"
    document["administrative_sex"] = form.get("administrative_sex", "").strip() or "unknown"
    number = {key: form.get(f"hospital_number_{key}", "").strip() for key in ("system", "value")}
    # The issuing hospital may be filled in ahead; a number is only what is typed as one.
    document["hospital_numbers"] = [number] if number["value"] else []
    if form.get("confirm_not_duplicate") == "yes":
        document["confirm_not_duplicate"] = True
    weeks = form.get("gestation_weeks", "").strip()
    if weeks:
        try:
            document["gestation_weeks"] = float(weeks)
        except ValueError:
            raise InvalidInputError(
                "gestation_weeks", f"{weeks!r} is not a number of weeks (such as 38 or 32.5)"
            ) from None
    contacts = []
    for slot in range(1, CONTACT_SLOTS + 1):
        contact = {
            key: form.get(f"contact_{slot}_{key}", "").strip() or None for key in _CONTACT_FIELDS
        }
        if any(contact.values()):
            contacts.append(contact)
    document["contacts"] = contacts
    return document


def _form_field(field: str) -> str:
    """The form control a service's field name points at ("contacts[0].phone" -> its input)."""
    if field.startswith("hospital_numbers["):
        return "hospital_number_" + field.rpartition(".")[2]
    if field.startswith("contacts["):
        index, _, rest = field.removeprefix("contacts[").partition("]")
        name = rest.removeprefix(".") or "name"
        if index.isascii() and index.isdigit():
            return f"contact_{int(index) + 1}_{name}"
    return field if field in _FORM_FIELDS else "given_name"


@pages_router.post("/children")
async def register(request: Request, user: FormUser, context: Context) -> Response:
    raw = await request.form()
    form = {key: value for key, value in raw.items() if isinstance(value, str)}
    now = context.now()
    try:
        child = register_child(
            context.unit_of_work(),
            user_id(user),
            _registration_document(form),
            today=context.today(now),
            now=now,
            rules=context.content.surveillance_rules,
        )
    except InvalidInputError as error:
        errors = {_form_field(error.field): error.problem}
        return page(
            request,
            "child/register.html",
            _register_values(context, user, form, errors),
            user=user,
            status=422,
        )
    except LikelyDuplicateError as error:
        return page(
            request,
            "child/register.html",
            _register_values(context, user, form, {}, error.duplicates),
            user=user,
            status=409,
        )
    return RedirectResponse(f"/children/{child.id}", status_code=303)


@pages_router.post("/children/{child_id:int}/merge")
async def merge(child_id: RecordId, request: Request, user: FormUser, context: Context) -> Response:
    """A site administrator merges this child (a duplicate) into the original they name;
    the tick box says they mean it. Then the original's page."""
    raw = await request.form()
    original = str(raw.get("original_id", "")).strip().removeprefix("#")
    if not (original.isascii() and original.isdigit()) or int(original) < 1:
        raise InvalidInputError("original_id", "give the original child's number, such as 12")
    now = context.now()
    merged = merge_child(
        context.unit_of_work(),
        user_id(user),
        child_id,
        int(original),
        confirm=raw.get("confirm") == "yes",
        today=context.today(now),
        now=now,
        rules=context.content.surveillance_rules,
    )
    return RedirectResponse(f"/children/{merged.id}", status_code=303)


# --- JSON API ----------------------------------------------------------------------------------


@api_router.get("/children", response_model=list[ChildSummary])
async def search_children(
    user: ApiUser,
    context: Context,
    name: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[ChildSummary]:
    """Children of your sites whose names contain ``name`` (accents and case ignored)."""
    found = find_children(
        context.unit_of_work(), user_id(user), name, now=context.now(), limit=limit
    )
    return [child_summary(child) for child in found]


@api_router.post(
    "/children",
    name="register",
    response_model=ChildOut,
    status_code=201,
    responses={409: {"model": LikelyDuplicatesOut, "description": "Likely a duplicate"}},
)
async def api_register(body: ChildIn, user: ApiUser, context: Context) -> ChildOut | Response:
    """Register a child at one of your sites.

    A child likely registered already at the site (the same hospital number, or the same
    names and date of birth, case and accents ignored) is refused with 409 and the
    ``duplicates``, unless ``confirm_not_duplicate`` is true.
    """
    now = context.now()
    try:
        child = register_child(
            context.unit_of_work(),
            user_id(user),
            body.model_dump(exclude_none=True),
            today=context.today(now),
            now=now,
            rules=context.content.surveillance_rules,
        )
    except LikelyDuplicateError as error:
        refusal = LikelyDuplicatesOut(
            duplicates=[child_summary(other) for other in error.duplicates]
        )
        return JSONResponse(refusal.model_dump(mode="json"), status_code=409)
    return child_out(child, ())


@api_router.get("/children/{child_id}", response_model=ChildOut, responses=NOT_FOUND)
async def read_child(child_id: RecordId, user: ApiUser, context: Context) -> ChildOut:
    """A child's record with their visits and measures (the read is audited)."""
    record = get_child(context.unit_of_work(), user_id(user), child_id, now=context.now())
    return child_out(record.child, record.visits)


@api_router.post(
    "/children/{child_id}/merge-into/{original_id}",
    response_model=MergedOut,
    responses=NOT_FOUND,
)
async def api_merge(
    child_id: RecordId, original_id: RecordId, body: MergeIn, user: ApiUser, context: Context
) -> MergedOut:
    """Merge the child ``child_id`` (a duplicate) into ``original_id`` (site administrators
    only; both children of one of your sites). Body ``{"confirm": true}``: visits, films,
    plans, family links and identifiers move, the duplicate stays read-only as "merged into",
    and both children are audited ``child.merged``."""
    now = context.now()
    merged = merge_child(
        context.unit_of_work(),
        user_id(user),
        child_id,
        original_id,
        confirm=body.confirm,
        today=context.today(now),
        now=now,
        rules=context.content.surveillance_rules,
    )
    return MergedOut(child_id=child_id, merged_into=merged.id or original_id)
