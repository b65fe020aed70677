"""The real server (``hipcare serve --workers 3``) on SQLite and PostgreSQL, hit at once from
several clients: of five clinicians ticking one item one wins (200) and four are told someone
else did (409); a hostile run (Unicode-heavy names, ids past the column type, one invitation
opened in several tabs at once) answers no 500; and the server's log holds no name, birth
date, email or password hash."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from tests.fixtures.radiographs import SMALL, dicom_dataset, pelvis_pixels
from tests.support.servers import Running, at_once, signed_in_client
from web_support import CHILD_FORM, EMAILS, HARBOUR, PASSWORD, Staff, sign_in

from hipcare.domain.records import Alert, Profession, Role, User
from hipcare.storage import SqlAlchemyUnitOfWork

EXTRA_CLINICIANS = ("rae@example.org", "sol@example.org", "tam@example.org")
FAMILY_EMAIL = "quynh.parent@example.org"
FAMILY_NAME = "Quỳnh Parent"
HOSTILE_NAMES = (
    "ß" * 200,
    "ﬃ" * 200,
    "ﷺ" * 200,
    "Ǆ" * 200,
    "İ" * 200,
    "ŉ" * 200,
)


def _api_headers(client: TestClient, email: str) -> dict[str, str]:
    client.cookies.clear()
    response = client.post("/api/sign-in", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


SAMPLE_FILM = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "sample_film.json").read_text()
)


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, dict):
        return {key: _scaled(item, factor) for key, item in value.items()}
    return [round(value[0] * factor, 2), round(value[1] * factor, 2)]


LANDMARKS = _scaled(SAMPLE_FILM["landmarks"], SMALL[1] / 2500)


@dataclass(frozen=True)
class Prepared:
    child_id: int
    operation_id: int
    item_id: str
    invitation_token: str
    film_id: int
    alert_id: int


def _prepare(client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff, hash_: str) -> Prepared:
    """Three more Harbour clinicians, a child with a started pathway, and a family invitation
    (through the in-process app on the same database)."""
    with uow:
        for email in EXTRA_CLINICIANS:
            person = User(email, "Extra Clinician", Role.CLINICIAN, Profession.NURSE, {HARBOUR})
            uow.users.add(dataclasses.replace(person, password_hash=hash_))
        uow.commit()
    token = sign_in(client, "nurse")
    response = client.post("/children", data={**CHILD_FORM, "csrf_token": token})
    assert response.status_code == 303, response.text
    child_id = int(response.headers["location"].rsplit("/", 1)[1])
    headers = _api_headers(client, EMAILS["surgeon"])
    operation = client.post(
        f"/api/children/{child_id}/operations",
        json={
            "sides": "right",
            "procedures": ["vdro"],
            "implant": "Paediatric locking hip plate 3.5 mm",
            "surgeon_id": staff.surgeon,
            "surgery_date": "2026-04-20",
            "weight_bearing": "as-tolerated",
            "positioning_device": False,
        },
        headers=headers,
    )
    assert operation.status_code == 201, operation.text
    operation_id = operation.json()["id"]
    started = client.post(
        f"/api/children/{child_id}/operations/{operation_id}/pathway",
        json={"wheelchair_user": True, "attends_school": True, "sees_therapists": True},
        headers=headers,
    )
    assert started.status_code == 201, started.text
    client.cookies.clear()
    page_token = sign_in(client, "nurse")
    invited = client.post(
        f"/children/{child_id}/invite-family",
        data={"csrf_token": page_token, "email": FAMILY_EMAIL},
    )
    assert invited.status_code == 200, invited.text
    link = re.search(r"/invite/([A-Za-z0-9_\-]+)", invited.text)
    assert link is not None
    film = io.BytesIO()
    dicom_dataset(pelvis_pixels(*SMALL)).save_as(film, enforce_file_format=True)
    uploaded = client.post(
        f"/children/{child_id}/radiographs",
        data={"csrf_token": page_token, "film_date": "2026-02-20", "confirm_identifiers": "yes"},
        files={"file": ("film.dcm", film.getvalue(), "application/octet-stream")},
    )
    assert uploaded.status_code == 303, uploaded.text
    film_id = int(uploaded.headers["location"].rsplit("/", 1)[1])
    with uow:
        alert = uow.alerts.add(Alert(child_id, "red-skin", datetime(2026, 3, 2, 8, tzinfo=UTC)))
        uow.commit()
    assert alert.id is not None
    return Prepared(child_id, operation_id, "postop-xray", link.group(1), film_id, alert.id)


@pytest.mark.slow
def test_five_clinicians_ticking_one_item_at_once_get_one_200_and_four_409_and_the_log_is_clean(
    client: TestClient,
    uow: SqlAlchemyUnitOfWork,
    staff: Staff,
    password_hash: str,
    database_url: str,
    start_server: Callable[[str], Running],
) -> None:
    """Under three workers the database decides the one winner of simultaneous ticks; the
    hostile part of the run never answers 500 and leaves no private value in the log."""
    prepared = _prepare(client, uow, staff, password_hash)
    server = start_server(database_url)
    emails = (EMAILS["surgeon"], EMAILS["nurse"], *EXTRA_CLINICIANS)
    clinicians = [signed_in_client(server.base_url, email, PASSWORD) for email in emails]
    tick_path = (
        f"/api/children/{prepared.child_id}/operations/{prepared.operation_id}"
        f"/items/{prepared.item_id}/done"
    )
    try:
        ticks = at_once([lambda c=c: c.post(tick_path) for c in clinicians])
        statuses = sorted(response.status_code for response in ticks)
        assert statuses == [200, 409, 409, 409, 409], [r.text for r in ticks]
        refused = [response.json() for response in ticks if response.status_code == 409]
        assert all("someone else" in problem["problem"] for problem in refused)

        # Five acknowledgements of one alert at once: one 200, four 409.
        acknowledged = at_once(
            [
                lambda c=c: c.post(
                    f"/api/children/{prepared.child_id}/alerts/{prepared.alert_id}/acknowledge"
                )
                for c in clinicians
            ]
        )
        statuses = sorted(response.status_code for response in acknowledged)
        assert statuses == [200, 409, 409, 409, 409], [r.text for r in acknowledged]

        # Five first readings of one film at once: five readings, one visit.
        readings = at_once(
            [
                lambda c=c: c.post(
                    f"/api/radiographs/{prepared.film_id}/readings", json={"landmarks": LANDMARKS}
                )
                for c in clinicians
            ]
        )
        assert [r.status_code for r in readings] == [201] * 5, [r.text for r in readings]
        with uow:
            visits = uow.visits.for_child(prepared.child_id)
        assert len(visits) == 1

        # Hostile: names that lengthen when folded, ids past any column, one invitation
        # accepted in several tabs at once.
        statuses = []
        for name in HOSTILE_NAMES:
            registered = clinicians[1].post(
                "/api/children",
                json={
                    "given_name": name,
                    "family_name": name,
                    "date_of_birth": "2021-02-03",
                    "site": HARBOUR,
                },
            )
            statuses.append(registered.status_code)
            searched = clinicians[1].get("/api/children", params={"q": name})
            statuses.append(searched.status_code)
        for path in ("/api/children/9223372036854775806", "/api/children/2147483648"):
            statuses.append(clinicians[0].get(path).status_code)
        accept_path = f"/invite/{prepared.invitation_token}"
        tabs = [httpx2.Client(base_url=server.base_url, timeout=60) for _ in range(6)]
        accepted = at_once(
            [
                lambda tab=tab: tab.post(
                    accept_path,
                    data={"display_name": FAMILY_NAME, "password": "a long family password"},
                )
                for tab in tabs
            ]
        )
        statuses += [response.status_code for response in accepted]
        for tab in tabs:
            tab.close()
        assert 500 not in statuses, statuses
    finally:
        for clinician in clinicians:
            clinician.close()
    log = server.log.read_text(encoding="utf-8", errors="replace")
    with uow:
        hashes = [
            user.password_hash
            for user in (uow.users.by_email(FAMILY_EMAIL), uow.users.by_email(EMAILS["nurse"]))
            if user is not None and user.password_hash
        ]
    private = [
        CHILD_FORM["given_name"],
        CHILD_FORM["family_name"],
        CHILD_FORM["date_of_birth"],
        CHILD_FORM["contact_1_name"],
        "2021-02-03",
        FAMILY_EMAIL,
        FAMILY_NAME,
        *emails,
        *(name[:8] for name in HOSTILE_NAMES),
        *hashes,
        "$argon2",
    ]
    leaked = [value for value in private if value in log]
    assert not leaked, f"the server log holds private values: {leaked}"
    assert "Traceback" not in log, log[-4000:]
