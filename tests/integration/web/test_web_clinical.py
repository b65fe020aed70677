"""Clinical pages and API: films and the MP trend chart, worklist, operation plan with the
surgeon's defaults, starting and postponing the pathway, dashboard and alerts; on SQLite and
PostgreSQL, with authorisation and audit."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import CHILD_FORM, HARBOUR, PASSWORD, Clock, Staff, sign_in
from fastapi.testclient import TestClient

from hipcare.domain.records import Alert, AuditAction, EntityType, Profession, Role, User
from hipcare.storage.accounts import SqlAlchemyAccountsUnitOfWork

SVG = "{http://www.w3.org/2000/svg}"
LEE = "lee.surgeon@example.org"


@pytest.fixture
def lee(uow: SqlAlchemyAccountsUnitOfWork, password_hash: str, staff: Staff) -> int:
    """A Harbour surgeon whose preference profile is dr-lee (surgeons.toml)."""
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


def _api_sign_in(client: TestClient, email: str) -> dict[str, str]:
    client.cookies.clear()
    response = client.post("/api/sign-in", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def _register(client: TestClient, token: str, **changes: str) -> int:
    response = client.post("/children", data={**CHILD_FORM, **changes, "csrf_token": token})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _film(client: TestClient, token: str, child_id: int, day: str, right: str, left: str) -> None:
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


def _chart(html: str) -> ElementTree.Element:
    found = re.search(r"<svg .*?</svg>", html, re.DOTALL)
    assert found, "the page has no chart"
    return ElementTree.fromstring(found.group(0))  # noqa: S314 -- the app's own SVG


def test_two_films_draw_two_points_per_hip_and_the_30_and_40_lines(client: TestClient) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    _film(client, token, child_id, "2025-09-01", "22", "14")
    _film(client, token, child_id, "2026-03-01", "28", "31")
    page = client.get(f"/children/{child_id}")
    assert page.status_code == 200
    chart = _chart(page.text)
    for side in ("right", "left"):
        points = chart.find(f".//{SVG}g[@class='points points-{side}']")
        assert points is not None
        assert len(list(points)) == 2
    labels = [text.text for text in chart.iter(f"{SVG}text")]
    assert "30%: refer" in labels
    assert "40%: surgery usually considered" in labels
    assert len(chart.findall(f".//{SVG}line[@class='threshold']")) == 2
    assert (
        "Right hip: +6 points since 2025-09-01 (22% to 28%): <strong>within measurement error"
        in page.text
    )
    assert (
        "Left hip: +17 points since 2025-09-01 (14% to 31%): <strong>more than measurement error"
        in page.text
    )
    assert 'class="visually-hidden"' in page.text
    surveillance = client.get(f"/api/children/{child_id}/surveillance").json()
    assert surveillance["next_review"] is not None
    assert surveillance["rule_id"]
    assert [c["within_measurement_error"] for c in surveillance["changes"]] == [True, False]


def test_a_visit_form_with_a_mistake_comes_back_with_the_message_next_to_the_field(
    client: TestClient,
) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    response = client.post(
        f"/children/{child_id}/visits",
        data={"csrf_token": token, "visit_date": "2026-01-05", "xray": "yes", "right_mp": "lots"},
    )
    assert response.status_code == 422
    assert 'id="right_mp-error"' in response.text
    assert "&#39;lots&#39; is not a number" in response.text
    assert 'value="lots"' in response.text
    future = client.post(
        f"/children/{child_id}/visits",
        data={"csrf_token": token, "visit_date": "2026-04-01", "xray": "yes", "left_mp": "20"},
    )
    assert future.status_code == 422
    assert 'id="visit_date-error"' in future.text


def test_the_worklist_shows_referral_and_overdue_children_and_filters_by_status(
    client: TestClient,
) -> None:
    token = sign_in(client, "nurse")
    rising = _register(client, token, given_name="Rising")
    _film(client, token, rising, "2025-09-01", "29", "14")
    _film(client, token, rising, "2026-02-20", "43", "15")
    late = _register(client, token, given_name="Late", family_name="Reviewer")
    _film(client, token, late, "2024-01-10", "18", "16")
    entries = {e["child_id"]: e for e in client.get(f"/api/sites/{HARBOUR}/worklist").json()}
    assert entries[rising]["status"] == "needs referral"
    assert entries[late]["status"] == "overdue"
    only_overdue = client.get(f"/api/sites/{HARBOUR}/worklist", params={"status": "overdue"})
    assert [e["child_id"] for e in only_overdue.json()] == [late]
    page = client.get(f"/sites/{HARBOUR}/worklist", params={"status": "needs-referral"})
    assert page.status_code == 200
    assert f'href="/children/{rising}#surveillance"' in page.text
    assert f'href="/children/{late}#surveillance"' not in page.text
    assert "badge-needs_referral" in page.text


def _operation(child_id: int, surgeon: int, **changes: Any) -> dict[str, Any]:
    return {
        "sides": "right",
        "procedures": ["vdro", "dega"],
        "implant": "Paediatric locking hip plate 3.5 mm",
        "plate_angle_deg": 100,
        "surgeon_id": surgeon,
        "surgery_date": "2026-04-20",
        **changes,
    }


def test_an_operation_takes_the_surgeons_defaults_which_only_the_surgeon_may_change(
    client: TestClient, lee: int
) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    headers = _api_sign_in(client, "nurse@example.org")
    planned = client.post(
        f"/api/children/{child_id}/operations", json=_operation(child_id, lee), headers=headers
    )
    assert planned.status_code == 201, planned.text
    # dr-lee's rule for a Dega: non-weight-bearing with a positioning device.
    assert planned.json()["weight_bearing"] == "non-weight-bearing"
    assert planned.json()["positioning_device"] is True
    assert planned.json()["status"] == "scheduled"
    changed = client.post(
        f"/api/children/{child_id}/operations",
        json=_operation(child_id, lee, weight_bearing="as-tolerated"),
        headers=headers,
    )
    assert changed.status_code == 403
    surgeon_headers = _api_sign_in(client, LEE)
    by_surgeon = client.post(
        f"/api/children/{child_id}/operations",
        json=_operation(child_id, lee, weight_bearing="as-tolerated", procedures=["vdro"]),
        headers=surgeon_headers,
    )
    assert by_surgeon.status_code == 201
    assert by_surgeon.json()["weight_bearing"] == "as-tolerated"
    assert by_surgeon.json()["positioning_device"] is False


def test_the_operation_form_plans_with_defaults_and_shows_the_plan(
    client: TestClient, lee: int
) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    form = client.get(f"/children/{child_id}/operations/new")
    assert form.status_code == 200
    assert "Sam Lee" in form.text
    response = client.post(
        f"/children/{child_id}/operations",
        data={
            "csrf_token": token,
            "sides": "both",
            "procedures": ["vdro", "adductor-release"],
            "implant": "Paediatric locking hip plate 3.5 mm",
            "surgeon_id": str(lee),
            "surgery_date": "2026-05-04",
            "weight_bearing": "",
            "positioning_device": "",
        },
    )
    assert response.status_code == 303, response.text
    page = client.get(f"/children/{child_id}")
    assert "Sam Lee" in page.text
    assert "as tolerated" in page.text
    assert "Start the pathway" in page.text
    missing = client.post(
        f"/children/{child_id}/operations",
        data={"csrf_token": token, "sides": "both", "implant": "Plate", "surgeon_id": str(lee)},
    )
    assert missing.status_code == 422
    assert 'id="procedures-error"' in missing.text


def _started(client: TestClient, lee: int) -> tuple[int, int, dict[str, str]]:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    headers = _api_sign_in(client, "nurse@example.org")
    operation = client.post(
        f"/api/children/{child_id}/operations", json=_operation(child_id, lee), headers=headers
    ).json()["id"]
    return child_id, operation, headers


def test_starting_the_pathway_creates_the_dated_care_plan(client: TestClient, lee: int) -> None:
    child_id, operation, headers = _started(client, lee)
    facts = {"wheelchair_user": True, "attends_school": True, "sees_therapists": False}
    started = client.post(
        f"/api/children/{child_id}/operations/{operation}/pathway", json=facts, headers=headers
    )
    assert started.status_code == 201, started.text
    items = started.json()
    assert len(items) > 10
    assert all(not item["done"] for item in items)
    assert any(item["due_date"] == "2026-04-20" for item in items)  # the surgery day
    again = client.post(
        f"/api/children/{child_id}/operations/{operation}/pathway", json=facts, headers=headers
    )
    assert again.status_code == 422
    assert again.json()["field"] == "operation_id"
    page = client.get(f"/children/{child_id}")
    assert page.text.count('<table class="care-plan">') >= 3  # one table per phase
    assert "Mark done" in page.text


def test_postponing_moves_items_not_done_and_keeps_done_ones(
    client: TestClient, lee: int, clock: Clock
) -> None:
    child_id, operation, headers = _started(client, lee)
    facts = {"wheelchair_user": False, "attends_school": True, "sees_therapists": True}
    items = client.post(
        f"/api/children/{child_id}/operations/{operation}/pathway", json=facts, headers=headers
    ).json()
    first = min(items, key=lambda item: item["due_date"])
    clock.advance(minutes=5)
    ticked = client.post(
        f"/api/children/{child_id}/operations/{operation}/items/{first['item_id']}/done",
        headers=headers,
    )
    assert ticked.status_code == 200
    assert ticked.json()["done"] is True
    assert ticked.json()["done_at"] == clock.now.isoformat().replace("+00:00", "Z")
    moved = client.post(
        f"/api/children/{child_id}/operations/{operation}/postpone",
        json={"surgery_date": "2026-05-04"},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    after = {item["item_id"]: item for item in moved.json()}
    for item in items:
        new = after[item["item_id"]]
        if item["item_id"] == first["item_id"]:
            assert new["due_date"] == item["due_date"]
            assert new["done"] is True
        else:
            shift = date.fromisoformat(new["due_date"]) - date.fromisoformat(item["due_date"])
            assert shift == timedelta(days=14)
    page = client.get(f"/children/{child_id}")
    assert "Ben Nurse" in page.text
    assert "2026-05-04" in page.text


def test_the_dashboard_groups_children_by_phase_and_alerts_are_acknowledged_with_who_and_when(
    client: TestClient, lee: int, clock: Clock, uow: SqlAlchemyAccountsUnitOfWork, staff: Staff
) -> None:
    child_id, operation, headers = _started(client, lee)
    facts = {"wheelchair_user": True, "attends_school": False, "sees_therapists": True}
    client.post(
        f"/api/children/{child_id}/operations/{operation}/pathway", json=facts, headers=headers
    )
    client.cookies.clear()
    token = sign_in(client, "nurse")
    watched = _register(client, token, given_name="Watched")
    headers = _api_sign_in(client, "nurse@example.org")
    with uow:
        alert = uow.alerts.add(Alert(child_id, "red-skin", clock.now - timedelta(hours=2)))
        uow.commit()
    dashboard = client.get(f"/api/sites/{HARBOUR}/dashboard").json()
    phases = {
        phase["phase"]: [c["child_id"] for c in phase["children"]] for phase in dashboard["phases"]
    }
    assert child_id in phases["preparing"]
    assert watched in phases["surveillance"]
    assert [a["id"] for a in dashboard["open_alerts"]] == [alert.id]
    clock.advance(minutes=5)
    acknowledged = client.post(
        f"/api/children/{child_id}/alerts/{alert.id}/acknowledge", headers=headers
    )
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_by"] == staff.nurse
    assert acknowledged.json()["acknowledged_at"] == clock.now.isoformat().replace("+00:00", "Z")
    page = client.get(f"/sites/{HARBOUR}/dashboard")
    assert page.status_code == 200
    assert "acknowledged by Ben Nurse" in page.text
    assert "No open alert." in page.text
    assert "Preparing for surgery (1)" in page.text


def test_another_sites_child_and_dashboard_are_refused_and_the_refusal_audited(
    client: TestClient, lee: int, uow: SqlAlchemyAccountsUnitOfWork, staff: Staff
) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    headers = _api_sign_in(client, "physio@example.org")  # Northern only
    assert client.get(f"/api/children/{child_id}/surveillance").status_code == 403
    planned = client.post(
        f"/api/children/{child_id}/operations", json=_operation(child_id, lee), headers=headers
    )
    assert planned.status_code == 403
    assert client.get(f"/api/sites/{HARBOUR}/dashboard").status_code == 403
    assert client.get(f"/api/sites/{HARBOUR}/worklist").status_code == 403
    assert client.get(f"/sites/{HARBOUR}/dashboard").status_code == 403
    with uow:
        denied = [
            entry
            for entry in uow.audit.by_actor(staff.physiotherapist)
            if entry.action is AuditAction.ACCESS_DENIED
        ]
    assert len(denied) >= 4


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, lee: int) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    _api_sign_in(client, "nurse@example.org")
    response = client.post(f"/api/children/{child_id}/operations", json=_operation(child_id, lee))
    assert response.status_code == 403
    form = client.post(
        f"/children/{child_id}/visits", data={"visit_date": "2026-01-01", "xray": "no"}
    )
    assert form.status_code == 403


def test_every_change_is_audited_against_the_childs_record(
    client: TestClient, lee: int, clock: Clock, uow: SqlAlchemyAccountsUnitOfWork, staff: Staff
) -> None:
    child_id, operation, headers = _started(client, lee)
    client.post(
        f"/api/children/{child_id}/visits",
        json={"visit_date": "2026-02-01", "xray": True, "right": {"migration_percentage_raw": 45}},
        headers=headers,
    )
    items = client.post(
        f"/api/children/{child_id}/operations/{operation}/pathway",
        json={"wheelchair_user": True, "attends_school": True, "sees_therapists": True},
        headers=headers,
    ).json()
    client.post(
        f"/api/children/{child_id}/operations/{operation}/items/{items[0]['item_id']}/done",
        headers=headers,
    )
    client.post(
        f"/api/children/{child_id}/operations/{operation}/postpone",
        json={"surgery_date": "2026-06-01"},
        headers=headers,
    )
    with uow:
        alert = uow.alerts.add(Alert(child_id, "fever", clock.now))
        uow.commit()
    client.post(f"/api/children/{child_id}/alerts/{alert.id}/acknowledge", headers=headers)
    with uow:
        actions = {
            entry.action
            for entry in uow.audit.for_entity(EntityType.CHILD, str(child_id))
            if entry.actor_id == staff.nurse
        }
    assert {
        AuditAction.OPERATION_PLANNED,
        AuditAction.PATHWAY_STARTED,
        AuditAction.CARE_ITEM_TICKED,
        AuditAction.OPERATION_POSTPONED,
        AuditAction.ALERT_ACKNOWLEDGED,
    } <= actions


def test_the_openapi_schema_describes_the_clinical_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/children/{child_id}/visits",
        "/api/children/{child_id}/surveillance",
        "/api/sites/{site_id}/worklist",
        "/api/children/{child_id}/operations",
        "/api/children/{child_id}/operations/{operation_id}/pathway",
        "/api/children/{child_id}/operations/{operation_id}/postpone",
        "/api/sites/{site_id}/dashboard",
        "/api/children/{child_id}/alerts/{alert_id}/acknowledge",
    ):
        assert path in paths
