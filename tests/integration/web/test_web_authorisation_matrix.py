"""Every route of the app, enumerated from its router, tried by every kind of actor, on SQLite
and PostgreSQL (issue 13).

The actors: the child's own family, another family, a clinician and a site administrator of
the child's site, a clinician and a site administrator of the other site, and nobody. Path
ids are filled from records seeded for the test (a Harbour child with an operation, a care
plan, an alert, a referral, a film and its reading, a diary photo, a calendar link and an
invitation). An actor the table allows must get through (2xx or 3xx, or 409 when an earlier
allowed actor already made the same change); every other actor is refused (401, 403, 404, or
a page's redirect to sign-in) and changes nothing; nobody ever gets a 5xx. A route the table
does not name fails the test, so a new route cannot go unchecked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route
from tests.fixtures.radiographs import png_photo_bytes
from web_support import CHILD_FORM, EMAILS, HARBOUR, NORTHERN, PASSWORD, Staff, form_token, sign_in

from hipcare.domain.records import Role, User
from hipcare.storage import SqlAlchemyUnitOfWork

FAMILY = "family"
OTHER_FAMILY = "other_family"
CLINICIAN = "clinician"
ADMINISTRATOR = "site_administrator"
OTHER_CLINICIAN = "other_clinician"
OTHER_ADMINISTRATOR = "other_administrator"
NOBODY = "nobody"
ACTORS = (
    FAMILY,
    OTHER_FAMILY,
    CLINICIAN,
    ADMINISTRATOR,
    OTHER_CLINICIAN,
    OTHER_ADMINISTRATOR,
    NOBODY,
)
SIGNED_IN = frozenset(ACTORS) - {NOBODY}
SITE_CLINICIAN = frozenset({CLINICIAN})
SITE_STAFF = frozenset({CLINICIAN, ADMINISTRATOR})
ANY_STAFF = frozenset({CLINICIAN, ADMINISTRATOR, OTHER_CLINICIAN, OTHER_ADMINISTRATOR})
ANY_CLINICIAN = frozenset({CLINICIAN, OTHER_CLINICIAN})
OWN_FAMILY = frozenset({FAMILY})
EVERYONE = frozenset(ACTORS)

_EMAILS = {
    FAMILY: "our.parent@example.org",
    OTHER_FAMILY: "their.parent@example.org",
    CLINICIAN: EMAILS["surgeon"],
    ADMINISTRATOR: EMAILS["administrator"],
    OTHER_CLINICIAN: EMAILS["physiotherapist"],
    OTHER_ADMINISTRATOR: EMAILS["northern_administrator"],
}


@dataclass(frozen=True)
class Expect:
    """Who the route lets through; ``public`` routes (sign-in, health, a link's bearer token)
    answer everyone, so for them only 'never a 5xx' is checked here (their own tests check
    the rest)."""

    allowed: frozenset[str]
    public: bool = False
    ends_session: bool = False
    # A feature the test app does not configure (a PACS): the allowed actors may get its 404
    # "not set up"; the refused ones must still be refused.
    unconfigured: bool = False


PUBLIC = Expect(EVERYONE, public=True)

EXPECTED: dict[tuple[str, str], Expect] = {
    # Framework and health.
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): Expect(frozenset({ADMINISTRATOR, OTHER_ADMINISTRATOR})),
    ("GET", "/booklet.css"): PUBLIC,
    # Signing in and out.
    ("GET", "/sign-in"): PUBLIC,
    ("POST", "/sign-in"): PUBLIC,
    ("POST", "/api/sign-in"): PUBLIC,
    ("POST", "/sign-out"): Expect(SIGNED_IN, ends_session=True),
    ("POST", "/api/sign-out"): Expect(SIGNED_IN, ends_session=True),
    ("GET", "/api/me"): Expect(SIGNED_IN),
    # Clinician pages and API: staff of the child's site.
    # A family asking for the clinicians' home is sent to its own (/family).
    ("GET", "/"): Expect(SIGNED_IN),
    ("GET", "/children"): Expect(ANY_STAFF),
    ("GET", "/api/children"): Expect(ANY_STAFF),
    ("GET", "/children/new"): Expect(ANY_STAFF),  # a blank form; registering is refused
    ("POST", "/children"): Expect(SITE_CLINICIAN),
    ("POST", "/api/children"): Expect(SITE_CLINICIAN),
    ("GET", "/children/{child_id:int}"): Expect(SITE_STAFF),
    ("GET", "/api/children/{child_id}"): Expect(SITE_STAFF),
    ("GET", "/api/children/{child_id}/surveillance"): Expect(SITE_STAFF),
    ("GET", "/children/{child_id}/visits/new"): Expect(SITE_STAFF),  # the form only
    ("POST", "/children/{child_id}/visits"): Expect(SITE_CLINICIAN),
    ("POST", "/api/children/{child_id}/visits"): Expect(SITE_CLINICIAN),
    ("GET", "/children/{child_id}/operations/new"): Expect(SITE_STAFF),  # the form only
    ("POST", "/children/{child_id}/operations"): Expect(SITE_CLINICIAN),
    ("POST", "/api/children/{child_id}/operations"): Expect(SITE_CLINICIAN),
    ("POST", "/children/{child_id}/operations/{operation_id}/pathway"): Expect(SITE_CLINICIAN),
    ("POST", "/api/children/{child_id}/operations/{operation_id}/pathway"): Expect(SITE_CLINICIAN),
    ("POST", "/children/{child_id}/operations/{operation_id}/postpone"): Expect(SITE_CLINICIAN),
    ("POST", "/api/children/{child_id}/operations/{operation_id}/postpone"): Expect(SITE_CLINICIAN),
    ("POST", "/children/{child_id}/operations/{operation_id}/items/{item_id}/done"): Expect(
        SITE_CLINICIAN
    ),
    ("POST", "/api/children/{child_id}/operations/{operation_id}/items/{item_id}/done"): Expect(
        SITE_CLINICIAN
    ),
    ("POST", "/children/{child_id}/alerts/{alert_id}/acknowledge"): Expect(SITE_CLINICIAN),
    ("POST", "/api/children/{child_id}/alerts/{alert_id}/acknowledge"): Expect(SITE_CLINICIAN),
    ("POST", "/children/{child_id:int}/referrals"): Expect(SITE_CLINICIAN),
    ("POST", "/api/children/{child_id}/referrals"): Expect(SITE_CLINICIAN),
    ("POST", "/children/{child_id:int}/referrals/{referral_id:int}/seen"): Expect(SITE_CLINICIAN),
    ("POST", "/api/children/{child_id}/referrals/{referral_id}/seen"): Expect(SITE_CLINICIAN),
    ("POST", "/children/{child_id}/invite-family"): Expect(SITE_CLINICIAN),
    ("POST", "/api/children/{child_id}/invitations"): Expect(SITE_CLINICIAN),
    ("GET", "/children/{child_id}/radiographs/new"): Expect(SITE_STAFF),  # the form only
    ("POST", "/children/{child_id}/radiographs"): Expect(SITE_CLINICIAN),
    ("GET", "/radiographs/{film_id}"): Expect(SITE_STAFF),
    ("GET", "/radiographs/{film_id}/preview.jpg"): Expect(SITE_STAFF),
    ("GET", "/radiographs/{film_id}/readings/{reading_id}/overlay.png"): Expect(SITE_STAFF),
    ("POST", "/api/radiographs/{film_id}/readings"): Expect(SITE_CLINICIAN),
    ("GET", "/operations/{operation_id}/outcome"): Expect(SITE_CLINICIAN),
    ("POST", "/operations/{operation_id}/outcome"): Expect(SITE_CLINICIAN),
    ("GET", "/api/operations/{operation_id}/outcome"): Expect(SITE_CLINICIAN),
    ("PUT", "/api/operations/{operation_id}/outcome"): Expect(SITE_CLINICIAN),
    # Site-wide views.
    ("GET", "/worklist"): Expect(ANY_STAFF),
    ("GET", "/sites/{site_id}/worklist"): Expect(SITE_STAFF),
    ("GET", "/sites/{site_id}/worklist.csv"): Expect(SITE_STAFF),
    ("GET", "/api/sites/{site_id}/worklist"): Expect(SITE_STAFF),
    ("GET", "/dashboard"): Expect(ANY_STAFF),
    ("GET", "/sites/{site_id}/dashboard"): Expect(SITE_STAFF),
    ("GET", "/api/sites/{site_id}/dashboard"): Expect(SITE_STAFF),
    ("GET", "/sites/{site_id}/report"): Expect(SITE_CLINICIAN),
    ("GET", "/sites/{site_id}/audit"): Expect(frozenset({ADMINISTRATOR})),
    ("GET", "/api/sites/{site_id}/audit"): Expect(frozenset({ADMINISTRATOR})),
    # FHIR.
    ("GET", "/fhir/metadata"): PUBLIC,
    # FHIR reads follow the record reads: staff of the child's site.
    ("GET", "/fhir/Patient"): Expect(ANY_STAFF),
    ("GET", "/fhir/Patient/{patient_id}"): Expect(SITE_STAFF),
    ("GET", "/fhir/Patient/{patient_id}/$everything"): Expect(SITE_STAFF),
    ("GET", "/fhir/Observation"): Expect(SITE_STAFF),
    ("GET", "/fhir/PlanDefinition/{definition_id}"): Expect(ANY_STAFF),  # no patient data
    # The family side: the child's own family only.
    # Lists of one's own children: everyone signed in gets their own (for staff, empty) list.
    ("GET", "/family"): Expect(SIGNED_IN),
    ("GET", "/family/language"): PUBLIC,
    ("GET", "/api/family/children"): Expect(SIGNED_IN),
    ("GET", "/family/children/{child_id}"): Expect(OWN_FAMILY),
    ("GET", "/family/children/{child_id}/plan"): Expect(OWN_FAMILY),
    ("GET", "/api/family/children/{child_id}/today"): Expect(OWN_FAMILY),
    ("POST", "/family/children/{child_id}/items/{item_id}/tick"): Expect(OWN_FAMILY),
    ("POST", "/family/children/{child_id}/items/{item_id}/untick"): Expect(OWN_FAMILY),
    ("POST", "/api/family/children/{child_id}/items/{item_id}/tick"): Expect(OWN_FAMILY),
    ("GET", "/family/children/{child_id}/booklet"): Expect(OWN_FAMILY),
    ("GET", "/family/children/{child_id}/booklet.pdf"): Expect(OWN_FAMILY),
    ("GET", "/family/children/{child_id}/calendar"): Expect(OWN_FAMILY),
    ("POST", "/family/children/{child_id}/calendar-link"): Expect(OWN_FAMILY),
    ("POST", "/family/children/{child_id}/calendar-link/revoke"): Expect(OWN_FAMILY),
    ("GET", "/family/children/{child_id}/diary"): Expect(OWN_FAMILY),
    ("POST", "/family/children/{child_id}/diary"): Expect(OWN_FAMILY),
    # The care team of the child's site reads the family's diary.
    ("GET", "/api/family/children/{child_id}/diary"): Expect(OWN_FAMILY | SITE_STAFF),
    ("POST", "/api/family/children/{child_id}/diary"): Expect(OWN_FAMILY),
    ("POST", "/family/children/{child_id}/pain-words"): Expect(OWN_FAMILY),
    ("GET", "/family/children/{child_id}/diary/{entry_id}/photo"): Expect(OWN_FAMILY | SITE_STAFF),
    # A link's token is the key (anyone holding it gets in; their own tests check the rest).
    ("GET", "/calendar/{token}.ics"): PUBLIC,
    ("GET", "/invite/{token}"): PUBLIC,
    ("POST", "/invite/{token}"): PUBLIC,
    # Later routes. Single sign-on answers 404 when it is not configured (as here): public.
    ("GET", "/sign-in/oidc"): PUBLIC,
    ("GET", "/sign-in/oidc/callback"): PUBLIC,
    # The code step of a sign-in: a cookie of the sign-in itself, no session.
    ("GET", "/sign-in/second-factor"): PUBLIC,
    ("POST", "/sign-in/second-factor"): PUBLIC,
    ("GET", "/family/sw.js"): PUBLIC,
    ("GET", "/family/offline"): PUBLIC,  # the app's "No signal" page: no user, no record
    # Password reset and the links that set a password (the token is the key).
    ("GET", "/password-reset"): PUBLIC,
    ("POST", "/password-reset"): PUBLIC,
    ("POST", "/api/password-reset"): PUBLIC,
    ("GET", "/set-password/{token}"): PUBLIC,
    ("POST", "/set-password/{token}"): PUBLIC,
    # One's own account: anyone signed in (a wrong current password or code answers 422).
    ("GET", "/account"): Expect(SIGNED_IN),
    ("POST", "/account/password"): Expect(SIGNED_IN),
    ("POST", "/api/me/password"): Expect(SIGNED_IN),
    ("GET", "/account/second-factor"): Expect(SIGNED_IN),
    ("POST", "/account/second-factor/start"): Expect(SIGNED_IN),
    ("POST", "/account/second-factor/confirm"): Expect(SIGNED_IN),
    # Staff: a site administrator, for the staff of the sites they administer (the invitation
    # and the change name Harbour and a Harbour-only surgeon).
    ("GET", "/staff"): Expect(frozenset({ADMINISTRATOR, OTHER_ADMINISTRATOR})),
    ("GET", "/api/staff"): Expect(frozenset({ADMINISTRATOR, OTHER_ADMINISTRATOR})),
    ("POST", "/staff/invite"): Expect(frozenset({ADMINISTRATOR})),
    ("POST", "/api/staff"): Expect(frozenset({ADMINISTRATOR})),
    ("POST", "/staff/{staff_id}"): Expect(frozenset({ADMINISTRATOR})),
    ("PATCH", "/api/staff/{staff_id}"): Expect(frozenset({ADMINISTRATOR})),
    # A site's settings and its audit export: its administrator.
    ("GET", "/sites/{site_id}/alert-routes"): Expect(frozenset({ADMINISTRATOR})),
    ("POST", "/sites/{site_id}/alert-routes"): Expect(frozenset({ADMINISTRATOR})),
    ("GET", "/sites/{site_id}/audit.csv"): Expect(frozenset({ADMINISTRATOR})),
    # Merging a duplicate child (a spare Harbour child) into the seeded one.
    ("POST", "/children/{child_id:int}/merge"): Expect(frozenset({ADMINISTRATOR})),
    ("POST", "/api/children/{child_id}/merge-into/{original_id}"): Expect(
        frozenset({ADMINISTRATOR})
    ),
    # Operations: the clinicians of the child's site.
    ("POST", "/children/{child_id}/operations/{operation_id}/done"): Expect(SITE_CLINICIAN),
    ("POST", "/api/children/{child_id}/operations/{operation_id}/done"): Expect(SITE_CLINICIAN),
    ("PUT", "/api/children/{child_id}/operations/{operation_id}/day-of-surgery"): Expect(
        SITE_CLINICIAN
    ),
    ("POST", "/api/osteotomy-plans"): Expect(ANY_STAFF),  # no record is read or changed
    # Films: the viewer's overlay as its picture; confirming is a surgeon's (of the site) on
    # a reading someone else wrote (the nurse's, seeded for it).
    ("GET", "/radiographs/{film_id}/readings/{reading_id}/overlay"): Expect(SITE_STAFF),
    ("POST", "/api/radiographs/{film_id}/readings/{reading_id}/confirmation"): Expect(
        SITE_CLINICIAN
    ),
    ("POST", "/radiographs/{film_id}/readings/{reading_id}/confirmation"): Expect(SITE_CLINICIAN),
    # PACS: not configured in the test app.
    ("GET", "/children/{child_id}/pacs"): Expect(SITE_STAFF, unconfigured=True),
    ("POST", "/children/{child_id}/pacs/pull"): Expect(SITE_CLINICIAN, unconfigured=True),
    # Messages with the care team: one thread per child, read and written by the child's own
    # family and the staff of its site, whichever address (the family's or the care team's).
    ("GET", "/children/{child_id}/messages"): Expect(OWN_FAMILY | SITE_STAFF),
    ("POST", "/children/{child_id}/messages"): Expect(OWN_FAMILY | SITE_STAFF),
    ("GET", "/api/children/{child_id}/messages"): Expect(OWN_FAMILY | SITE_STAFF),
    ("POST", "/api/children/{child_id}/messages"): Expect(OWN_FAMILY | SITE_STAFF),
    ("GET", "/family/children/{child_id}/messages"): Expect(OWN_FAMILY | SITE_STAFF),
    ("POST", "/family/children/{child_id}/messages"): Expect(OWN_FAMILY | SITE_STAFF),
    ("GET", "/api/family/children/{child_id}/messages"): Expect(OWN_FAMILY | SITE_STAFF),
    ("POST", "/api/family/children/{child_id}/messages"): Expect(OWN_FAMILY | SITE_STAFF),
}


def _routes(routes: Iterable[Any]) -> Iterator[tuple[str, str]]:
    """Every (method, path) the app serves, walking into included routers (FastAPI keeps an
    include_router() as one entry holding the original router); HEAD goes with GET."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            prefix = route.include_context.prefix
            yield from ((method, prefix + path) for method, path in _routes(included.routes))
        elif isinstance(route, Mount):
            yield "GET", route.path
        elif isinstance(route, APIRoute | Route):
            yield from ((m, route.path) for m in sorted(route.methods or ()) if m != "HEAD")


@dataclass(frozen=True)
class Seeded:
    """The ids and tokens the paths are filled with."""

    values: dict[str, str]

    def url(self, path: str) -> str:
        def fill(found: re.Match[str]) -> str:
            return self.values[found.group(1)]

        return re.sub(r"\{(\w+)(?::\w+)?\}", fill, path)


def _cheap_family(app: FastAPI, email: str, child_id: int, password_hash: str) -> None:
    uow = SqlAlchemyUnitOfWork(app.state.hipcare.session_factory)
    with uow:
        user = uow.users.add(
            User(email, "A Parent", Role.FAMILY, None, password_hash=password_hash)
        )
        assert user.id is not None
        uow.family.link(user.id, child_id, datetime(2026, 3, 1, tzinfo=UTC))
        uow.commit()


def _seed(app: FastAPI, client: TestClient, staff: Staff, password_hash: str) -> Seeded:
    """A Harbour child with everything a path can name, and a Northern child for the other
    family; made by the nurse (of both sites) and the families, who are not actors."""
    token = sign_in(client, "nurse")
    ours = _registered(client, token, {})
    theirs = _registered(client, token, {"site": NORTHERN, "given_name": "Other"})
    spare = _registered(client, token, {"given_name": "Spare"})
    _cheap_family(app, _EMAILS[FAMILY], ours, password_hash)
    _cheap_family(app, _EMAILS[OTHER_FAMILY], theirs, password_hash)
    film = client.post(
        f"/children/{ours}/radiographs",
        data={"csrf_token": token, "film_date": "2026-02-20", "confirm_identifiers": "yes"},
        files={"file": ("film.png", png_photo_bytes(), "image/png")},
    )
    assert film.status_code == 303, film.text
    film_id = film.headers["location"].rsplit("/", 1)[1]
    headers = _api(client, EMAILS["surgeon"])  # only the surgeon sets their own defaults
    operation = client.post(
        f"/api/children/{ours}/operations",
        json={
            "sides": "right",
            "procedures": ["vdro"],
            "implant": "Paediatric locking hip plate 3.5 mm",
            "plate_angle_deg": 100,
            "surgeon_id": staff.surgeon,
            "surgery_date": "2026-04-20",
            "weight_bearing": "as-tolerated",
            "positioning_device": False,
        },
        headers=headers,
    )
    assert operation.status_code == 201, operation.text
    operation_id = operation.json()["id"]
    items = client.post(
        f"/api/children/{ours}/operations/{operation_id}/pathway",
        json={"wheelchair_user": True, "attends_school": True, "sees_therapists": True},
        headers=headers,
    )
    assert items.status_code == 201, items.text
    care_team_item = "postop-xray"  # the 6-week X-ray: the care team's to tick
    assert care_team_item in {item["item_id"] for item in items.json()}
    referral = client.post(
        f"/api/children/{ours}/referrals",
        json={"referred_to": "hip clinic", "referred_on": "2026-02-25"},
        headers=headers,
    )
    assert referral.status_code == 201, referral.text
    reading = client.post(f"/api/radiographs/{film_id}/readings", json=_READING, headers=headers)
    assert reading.status_code == 201, reading.text
    family = _api(client, _EMAILS[FAMILY])
    today = client.get(f"/api/family/children/{ours}/today", headers=family).json()
    family_item = next(item["id"] for item in today["coming_next"] if item["tickable"])
    alert = client.post(
        f"/api/family/children/{ours}/diary",
        json={"kind": "pain-numeric", "pain_score": 9},
        headers=family,
    )
    assert alert.status_code == 201, alert.text
    family_token = _page_token(client, _EMAILS[FAMILY])
    photo = client.post(
        f"/family/children/{ours}/diary",
        data={"csrf_token": family_token, "kind": "skin", "skin_finding": "red-fades"},
        files={"photo": ("skin.png", png_photo_bytes(), "image/png")},
    )
    entry = re.search(r"/diary/(\d+)/photo", photo.text)
    assert entry, photo.text
    made = client.post(f"/family/children/{ours}/calendar-link", data={"csrf_token": family_token})
    calendar = re.search(r"/calendar/([^.\"]+)\.ics", client.get(made.headers["location"]).text)
    assert calendar
    headers = _api(client, "nurse@example.org")
    # A reading the surgeon did not write: theirs to confirm (never one's own).
    nurse_reading = client.post(
        f"/api/radiographs/{film_id}/readings", json=_READING, headers=headers
    )
    assert nurse_reading.status_code == 201, nurse_reading.text
    invitation = client.post(
        f"/api/children/{ours}/invitations",
        json={"email": "spare.parent@example.org"},
        headers=headers,
    )
    assert invitation.status_code == 201, invitation.text
    client.cookies.clear()
    return Seeded(
        {
            "child_id": str(ours),
            "patient_id": f"child-{ours}",
            "operation_id": str(operation_id),
            "item_id": care_team_item,
            "family_item_id": family_item,
            "alert_id": str(alert.json()["alert_id"]),
            "referral_id": str(referral.json()["id"]),
            "film_id": film_id,
            "reading_id": str(reading.json()["reading_id"]),
            "entry_id": entry.group(1),
            "token": invitation.json()["link"].rsplit("/", 1)[1],
            "calendar_token": calendar.group(1),
            "site_id": HARBOUR,
            "surgeon_id": str(staff.surgeon),
            "definition_id": "vdro-pathway",
            "staff_id": str(staff.surgeon),
            "original_id": str(ours),
            "spare_child_id": str(spare),
            "nurse_reading_id": str(nurse_reading.json()["reading_id"]),
        }
    )


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, dict):
        return {key: _scaled(item, factor) for key, item in value.items()}
    return [round(value[0] * factor, 2), round(value[1] * factor, 2)]


# The sample film's landmarks (2500 px wide) on the 1250 px photo of it.
_READING = {
    "landmarks": _scaled(
        json.loads(
            (Path(__file__).resolve().parents[2] / "fixtures" / "sample_film.json").read_text()
        )["landmarks"],
        0.5,
    )
}


def _registered(client: TestClient, token: str, changes: dict[str, str]) -> int:
    response = client.post("/children", data={**CHILD_FORM, **changes, "csrf_token": token})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _api(client: TestClient, email: str) -> dict[str, str]:
    client.cookies.clear()
    response = client.post("/api/sign-in", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def _page_token(client: TestClient, email: str) -> str:
    client.cookies.clear()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": form_token(page.text)},
    )
    assert response.status_code == 303, response.text
    return client.cookies.get("hipcare_session") and _csrf_of(client)


def _csrf_of(client: TestClient) -> str:
    token = client.get("/api/me").json()["csrf_token"]
    assert isinstance(token, str)
    return token


_CHILD = {
    "given_name": "Matrix",
    "family_name": "Child",
    "date_of_birth": "2021-06-01",
    "site": HARBOUR,
    "gmfcs": "IV",
}
_JSON_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/sign-in"): {"email": "nobody@example.org", "password": "not the password"},
    ("POST", "/api/children"): _CHILD,
    ("POST", "/api/children/{child_id}/visits"): {"visit_date": "2026-02-27", "xray": False},
    ("POST", "/api/children/{child_id}/operations"): {
        "sides": "left",
        "procedures": ["vdro"],
        "implant": "Paediatric locking hip plate 3.5 mm",
        "plate_angle_deg": 100,
        "surgeon_id": "{surgeon_id}",
        "surgery_date": "2026-05-20",
        "weight_bearing": "as-tolerated",
        "positioning_device": False,
    },
    ("POST", "/api/children/{child_id}/operations/{operation_id}/pathway"): {
        "wheelchair_user": True,
        "attends_school": True,
        "sees_therapists": True,
    },
    ("POST", "/api/children/{child_id}/operations/{operation_id}/postpone"): {
        "surgery_date": "2026-04-27"
    },
    ("POST", "/api/children/{child_id}/referrals"): {
        "referred_to": "hip clinic",
        "referred_on": "2026-02-26",
    },
    ("POST", "/api/children/{child_id}/referrals/{referral_id}/seen"): {
        "seen_on": "2026-03-01",
        "outcome": "watch and wait",
    },
    ("POST", "/api/children/{child_id}/invitations"): {"email": "another.parent@example.org"},
    ("POST", "/api/radiographs/{film_id}/readings"): {"landmarks": {}},
    ("PUT", "/api/operations/{operation_id}/outcome"): {"admission_date": "2026-04-19"},
    ("POST", "/api/family/children/{child_id}/diary"): {"kind": "pain-numeric", "pain_score": 1},
    ("PUT", "/api/children/{child_id}/operations/{operation_id}/day-of-surgery"): {},
    ("POST", "/api/children/{child_id}/operations/{operation_id}/done"): {"done_on": "2026-04-20"},
    ("POST", "/api/osteotomy-plans"): {
        "neck_shaft_angle_deg": 160,
        "target_neck_shaft_angle_deg": 130,
        "plate_angle_deg": 100,
    },
    ("POST", "/api/children/{child_id}/merge-into/{original_id}"): {"confirm": True},
    ("POST", "/api/me/password"): {
        "current_password": "not the password",
        "new_password": "never set, the current one is wrong",
    },
    ("POST", "/api/password-reset"): {"email": "nobody@example.org"},
    ("POST", "/api/staff"): {
        "email": "new.physio@example.org",
        "display_name": "A New Physio",
        "role": "clinician",
        "profession": "physiotherapist",
        "site_ids": [HARBOUR],
    },
    ("PATCH", "/api/staff/{staff_id}"): {"display_name": "The Surgeon"},
    ("POST", "/api/children/{child_id}/messages"): {"body": "From the care team."},
    ("POST", "/api/family/children/{child_id}/messages"): {"body": "From the family."},
}
_FORM_BODIES: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/children"): {**CHILD_FORM, "given_name": "Matrix Page"},
    ("POST", "/children/{child_id}/visits"): {"visit_date": "2026-02-28", "xray": "no"},
    ("POST", "/children/{child_id}/operations"): {
        "sides": "left",
        "procedures": "vdro",
        "implant": "Paediatric locking hip plate 3.5 mm",
        "plate_angle_deg": "100",
        "surgeon_id": "{surgeon_id}",
        "surgery_date": "2026-05-21",
        "weight_bearing": "as-tolerated",
        "positioning_device": "no",
    },
    ("POST", "/children/{child_id}/operations/{operation_id}/pathway"): {
        "wheelchair_user": "yes",
        "attends_school": "yes",
        "sees_therapists": "no",
    },
    ("POST", "/children/{child_id}/operations/{operation_id}/postpone"): {
        "surgery_date": "2026-04-28"
    },
    ("POST", "/children/{child_id:int}/referrals"): {
        "referred_to": "hip clinic",
        "referred_on": "2026-02-27",
    },
    ("POST", "/children/{child_id:int}/referrals/{referral_id:int}/seen"): {
        "seen_on": "2026-03-02",
        "outcome": "watch and wait",
    },
    ("POST", "/children/{child_id}/radiographs"): {
        "film_date": "2026-02-21",
        "confirm_identifiers": "yes",
    },
    ("POST", "/children/{child_id}/invite-family"): {"email": "third.parent@example.org"},
    ("POST", "/operations/{operation_id}/outcome"): {"rows": "0", "admission_date": "2026-04-19"},
    ("POST", "/family/children/{child_id}/diary"): {"kind": "pain-numeric", "pain_score": "1"},
    ("POST", "/family/children/{child_id}/pain-words"): {"words": "sore"},
    ("POST", "/children/{child_id}/operations/{operation_id}/done"): {"done_on": "2026-04-20"},
    ("POST", "/children/{child_id:int}/merge"): {"original_id": "{original_id}", "confirm": "yes"},
    ("POST", "/account/password"): {
        "current_password": "not the password",
        "new_password": "never set, the current one is wrong",
        "new_password_again": "never set, the current one is wrong",
    },
    ("POST", "/account/second-factor/confirm"): {"code": "000000"},
    ("POST", "/staff/invite"): {
        "email": "page.physio@example.org",
        "display_name": "A Page Physio",
        "role": "clinician",
        "profession": "physiotherapist",
        "site_ids": HARBOUR,
    },
    ("POST", "/staff/{staff_id}"): {"display_name": "The Surgeon"},
    ("POST", "/children/{child_id}/messages"): {"body": "From the care team (page)."},
    ("POST", "/family/children/{child_id}/messages"): {"body": "From the family (page)."},
}
_FILES: dict[tuple[str, str], dict[str, tuple[str, bytes, str]]] = {
    ("POST", "/children/{child_id}/radiographs"): {
        "file": ("film.png", png_photo_bytes(), "image/png")
    },
}
_QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/fhir/Patient"): {"name": "Nguy"},
    ("GET", "/fhir/Observation"): {"patient": "Patient/child-{child_id}"},
}


def _filled(value: Any, values: dict[str, str]) -> Any:
    """A body value with ``{surgeon_id}`` and the like filled in (as a number)."""
    if isinstance(value, str) and re.fullmatch(r"\{\w+\}", value):
        return int(values[value[1:-1]])
    return value


_FAMILY_ITEM_ROUTES = {
    "/family/children/{child_id}/items/{item_id}/tick",
    "/family/children/{child_id}/items/{item_id}/untick",
    "/api/family/children/{child_id}/items/{item_id}/tick",
}


_MERGE_ROUTES = {
    "/children/{child_id:int}/merge",
    "/api/children/{child_id}/merge-into/{original_id}",
}


@dataclass
class Actors:
    """One client per actor, each with its own cookies and CSRF token."""

    app: FastAPI
    clients: dict[str, TestClient]
    tokens: dict[str, str]

    def sign_in(self, actor: str) -> None:
        client = self.clients[actor]
        client.cookies.clear()
        if actor == NOBODY:
            self.tokens[actor] = "no-session"
            return
        response = client.post("/api/sign-in", json={"email": _EMAILS[actor], "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.tokens[actor] = response.json()["csrf_token"]

    def send(self, actor: str, method: str, path: str, seeded: Seeded) -> Any:
        key = (method, path)
        values = dict(seeded.values)
        if path in _FAMILY_ITEM_ROUTES:
            values["item_id"] = values["family_item_id"]
        if path == "/calendar/{token}.ics":
            values["token"] = values["calendar_token"]
        if path in _MERGE_ROUTES:
            values["child_id"] = values["spare_child_id"]
        if path.endswith("/confirmation"):
            values["reading_id"] = values["nurse_reading_id"]
        url = Seeded(values).url(path)
        if path == "/static":
            url = "/static/app.css"
        client = self.clients[actor]
        token = self.tokens[actor]
        if method == "GET":
            return client.get(
                url,
                params=_QUERIES.get(key, {}).copy()
                and {name: Seeded(values).url(value) for name, value in _QUERIES[key].items()},
            )
        if key in _JSON_BODIES or path.startswith("/api/"):
            body = {
                name: _filled(value, values) for name, value in _JSON_BODIES.get(key, {}).items()
            }
            return client.request(method, url, json=body, headers={"X-CSRF-Token": token})
        data = {
            **{
                name: Seeded(values).url(value) for name, value in _FORM_BODIES.get(key, {}).items()
            },
            "csrf_token": token,
        }
        return client.request(method, url, data=data, files=_FILES.get(key))


def _refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = response.headers.get("location", "")
    return response.status_code == 303 and location.startswith("/sign-in")


@pytest.fixture
def actors(app: FastAPI) -> Iterator[Actors]:
    clients = {actor: TestClient(app, follow_redirects=False) for actor in ACTORS}
    yield Actors(app, clients, {})
    for client in clients.values():
        client.close()


def test_every_route_admits_exactly_the_actors_its_table_names(
    app: FastAPI, client: TestClient, staff: Staff, password_hash: str, actors: Actors
) -> None:
    """Each (route, actor): refused actors get 401/403/404 (or a page's redirect to sign-in),
    allowed ones get through, nobody gets a 5xx; every served route is in the table."""
    served = sorted(
        set(_routes(app.routes)), key=lambda route: EXPECTED.get(route, PUBLIC).ends_session
    )
    missing = [route for route in served if route not in EXPECTED]
    assert missing == [], f"routes with no line in EXPECTED: {missing}"
    stale = sorted(set(EXPECTED) - set(served))
    assert stale == [], f"EXPECTED names routes the app no longer serves: {stale}"
    seeded = _seed(app, client, staff, password_hash)
    for actor in ACTORS:
        actors.sign_in(actor)
    wrong: list[str] = []
    for method, path in served:
        expect = EXPECTED[(method, path)]
        # Refused actors first: they must change nothing an allowed actor then finds changed.
        order = sorted(ACTORS, key=lambda actor: actor in expect.allowed)
        for actor in order:
            if expect.ends_session:
                actors.sign_in(actor)
            response = actors.send(actor, method, path, seeded)
            status = response.status_code
            if status >= 500:
                wrong.append(f"{method} {path} as {actor}: {status} (a server error)")
            elif expect.public or (
                actor in expect.allowed and expect.unconfigured and status == 404
            ):
                continue
            elif actor in expect.allowed and (
                status in (400, 401, 403, 404) or (_refused(response) and not expect.ends_session)
            ):
                wrong.append(f"{method} {path} as {actor}: {status}, should get through")
            elif actor not in expect.allowed and not _refused(response):
                wrong.append(f"{method} {path} as {actor}: {status}, should be refused")
    assert wrong == [], "\n".join(wrong)
