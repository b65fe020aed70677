"""Steps the clinical web tests share: a surgeon with a preference profile, sign-in through
the API, registering a child, typing in a film, reading the chart, an operation document."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import CHILD_FORM, HARBOUR, PASSWORD, sign_in

from hipcare.domain.records import Profession, Role, User
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.models import RECORD_ID_MAX

SVG = "{http://www.w3.org/2000/svg}"
# "²" passes str.isdigit() but not int(); the others are past every 64-bit id column.
IMPOSSIBLE_IDS = ["²", "99999999999999999999999", str(RECORD_ID_MAX + 1)]
LEE = "lee.surgeon@example.org"


def add_lee(uow: SqlAlchemyUnitOfWork, password_hash: str) -> int:
    """A Harbour surgeon whose preference profile is dr-lee (surgeons.toml); their id."""
    with uow:
        user = uow.users.add(
            User(
                LEE,
                "Sam Lee",
                Role.CLINICIAN,
                Profession.SURGEON,
                frozenset({HARBOUR}),
                password_hash=password_hash,
                surgeon_profile="dr-lee",
            )
        )
        uow.commit()
    assert user.id is not None
    return user.id


def api_sign_in(client: TestClient, email: str) -> dict[str, str]:
    client.cookies.clear()
    response = client.post("/api/sign-in", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def register(client: TestClient, token: str, **changes: str) -> int:
    response = client.post("/children", data={**CHILD_FORM, **changes, "csrf_token": token})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def film(client: TestClient, token: str, child_id: int, day: str, right: str, left: str) -> None:
    response = client.post(
        f"/children/{child_id}/visits",
        data={
            "csrf_token": token,
            "visit_date": day,
            "xray": "yes",
            "right_mp": right,
            "left_mp": left,
        },
    )
    assert response.status_code == 303, response.text


def read_chart(html: str) -> ElementTree.Element:
    found = re.search(r"<svg .*?</svg>", html, re.DOTALL)
    assert found, "the page has no chart"
    return ElementTree.fromstring(found.group(0))  # noqa: S314 -- the app's own SVG


def operation_document(child_id: int, surgeon: int, **changes: Any) -> dict[str, Any]:
    return {
        "sides": "right",
        "procedures": ["vdro", "dega"],
        "implant": "Paediatric locking hip plate 3.5 mm",
        "plate_angle_deg": 100,
        "surgeon_id": surgeon,
        "surgery_date": "2026-04-20",
        **changes,
    }


def started_operation(client: TestClient, lee: int) -> tuple[int, int, dict[str, str]]:
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    headers = api_sign_in(client, "nurse@example.org")
    operation = client.post(
        f"/api/children/{child_id}/operations",
        json=operation_document(child_id, lee),
        headers=headers,
    ).json()["id"]
    return child_id, operation, headers


def family_session(app: FastAPI, client: TestClient, password_hash: str) -> tuple[int, str]:
    """A family account linked to a newly registered Harbour child, signed in: (child, CSRF
    token of the session)."""
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    family = SqlAlchemyUnitOfWork(app.state.hipcare.session_factory)
    with family:
        parent = family.users.add(
            User("parent@example.org", "A Parent", Role.FAMILY, None, password_hash=password_hash)
        )
        assert parent.id is not None
        family.family.link(parent.id, child_id, datetime(2026, 3, 1, tzinfo=UTC))
        family.commit()
    client.cookies.clear()
    signed = client.post("/api/sign-in", json={"email": "parent@example.org", "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    return child_id, signed.json()["csrf_token"]
