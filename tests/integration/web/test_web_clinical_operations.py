"""Clinical web pages and API, operation side: surgeon defaults, starting and postponing the
pathway, care-plan ticks, the care-team dashboard and alerts, audit; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from clinical_flows import (
    LEE,
    add_lee,
    api_sign_in,
    operation_document,
    register,
    started_operation,
)
from fastapi.testclient import TestClient
from web_support import HARBOUR, Clock, Staff, form_token, sign_in

from hipcare.content.pathway import load_pathway
from hipcare.domain.records import Alert, AuditAction, EntityType
from hipcare.storage import SqlAlchemyUnitOfWork


@pytest.fixture
def lee(uow: SqlAlchemyUnitOfWork, password_hash: str, staff: Staff) -> int:
    """A Harbour surgeon whose preference profile is dr-lee (surgeons.toml)."""
    return add_lee(uow, password_hash)


def test_an_operation_takes_the_surgeons_defaults_which_only_the_surgeon_may_change(
    client: TestClient, lee: int
) -> None:
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    headers = api_sign_in(client, "nurse@example.org")
    planned = client.post(
        f"/api/children/{child_id}/operations",
        json=operation_document(child_id, lee),
        headers=headers,
    )
    assert planned.status_code == 201, planned.text
    # dr-lee's rule for a Dega: non-weight-bearing with a positioning device.
    assert planned.json()["weight_bearing"] == "non-weight-bearing"
    assert planned.json()["positioning_device"] is True
    assert planned.json()["status"] == "scheduled"
    changed = client.post(
        f"/api/children/{child_id}/operations",
        json=operation_document(child_id, lee, weight_bearing="as-tolerated"),
        headers=headers,
    )
    assert changed.status_code == 403
    surgeon_headers = api_sign_in(client, LEE)
    by_surgeon = client.post(
        f"/api/children/{child_id}/operations",
        json=operation_document(child_id, lee, weight_bearing="as-tolerated", procedures=["vdro"]),
        headers=surgeon_headers,
    )
    assert by_surgeon.status_code == 201
    assert by_surgeon.json()["weight_bearing"] == "as-tolerated"
    assert by_surgeon.json()["positioning_device"] is False
    far = client.post(
        f"/api/children/{child_id}/operations",
        json=operation_document(child_id, lee, surgery_date="9999-12-31"),
        headers=surgeon_headers,
    )
    assert far.status_code == 422
    assert far.json()["field"] == "surgery_date"


def test_the_operation_form_plans_with_defaults_and_shows_the_plan(
    client: TestClient, lee: int
) -> None:
    token = sign_in(client, "nurse")
    child_id = register(client, token)
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


def test_starting_the_pathway_creates_the_dated_care_plan(client: TestClient, lee: int) -> None:
    child_id, operation, headers = started_operation(client, lee)
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
    child_id, operation, headers = started_operation(client, lee)
    facts = {"wheelchair_user": False, "attends_school": True, "sees_therapists": True}
    items = client.post(
        f"/api/children/{child_id}/operations/{operation}/pathway", json=facts, headers=headers
    ).json()
    # A step quoting no date (information is read, never ticked; a step that quoted the old
    # surgery date is reopened by the postponement).
    first = next(item for item in items if item["item_id"] == "arrange-family-help")
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


def test_a_clinicians_tick_on_information_is_refused_with_422_naming_the_item(
    client: TestClient, lee: int, uow: SqlAlchemyUnitOfWork
) -> None:
    """Information is read, never ticked: the care team's tick refuses it as the family's
    does, in the API and the page's form alike, and nothing is stored as done."""
    child_id, operation, headers = started_operation(client, lee)
    facts = {"wheelchair_user": False, "attends_school": True, "sees_therapists": True}
    client.post(
        f"/api/children/{child_id}/operations/{operation}/pathway", json=facts, headers=headers
    )
    refused = client.post(
        f"/api/children/{child_id}/operations/{operation}/items/about-this-plan/done",
        headers=headers,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "item_id"
    assert "about-this-plan" in refused.json()["problem"]
    token = form_token(client.get(f"/children/{child_id}").text)
    by_form = client.post(
        f"/children/{child_id}/operations/{operation}/items/about-this-plan/done",
        data={"csrf_token": token},
    )
    assert by_form.status_code == 422
    with uow:
        states = uow.care_plan_items.for_operation_plan(operation)
    assert not next(state for state in states if state.item_id == "about-this-plan").done


def test_the_dashboard_groups_children_by_phase_and_alerts_are_acknowledged_with_who_and_when(
    client: TestClient, lee: int, clock: Clock, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    child_id, operation, headers = started_operation(client, lee)
    facts = {"wheelchair_user": True, "attends_school": False, "sees_therapists": True}
    client.post(
        f"/api/children/{child_id}/operations/{operation}/pathway", json=facts, headers=headers
    )
    client.cookies.clear()
    token = sign_in(client, "nurse")
    watched = register(client, token, given_name="Watched")
    headers = api_sign_in(client, "nurse@example.org")
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


def test_every_change_is_audited_against_the_childs_record(
    client: TestClient, lee: int, clock: Clock, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    child_id, operation, headers = started_operation(client, lee)
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
    task = next(item for item in items if item["item_id"] not in load_pathway().information_ids)
    client.post(
        f"/api/children/{child_id}/operations/{operation}/items/{task['item_id']}/done",
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


def test_the_operation_form_runs_the_osteotomy_planner_and_keeps_its_plate_angle(
    client: TestClient, lee: int
) -> None:
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    page = client.get(
        f"/children/{child_id}/operations/new",
        params={
            "neck_shaft_angle_deg": "155",
            "target_neck_shaft_angle_deg": "115",
            "plate_angle_deg": "100",
        },
    )
    assert page.status_code == 200
    # correction = 155 - 115; chisel-to-neck = 115 - 100; chisel-to-shaft = 155 - 15.
    assert "<dd>40° varus</dd>" in page.text
    assert "<dt>Chisel to neck</dt><dd>15°</dd>" in page.text
    assert "<dt>Chisel to shaft (before the cut)</dt><dd>140°</dd>" in page.text
    assert (
        'id="plate_angle_deg" name="plate_angle_deg" inputmode="decimal" value="100"' in page.text
    )
    wrong = client.get(
        f"/children/{child_id}/operations/new", params={"neck_shaft_angle_deg": "wide"}
    )
    assert wrong.status_code == 200
    assert "is not a number" in wrong.text


def test_the_planner_api_answers_the_operation_forms_planner_section(
    client: TestClient, lee: int
) -> None:
    """``POST /api/osteotomy-plans``: the plan for the typed angles; a bad one names its field."""
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    form = client.get(f"/children/{child_id}/operations/new").text
    assert '<script src="/static/planner.js" defer></script>' in form
    assert 'id="run-planner"' in form
    assert "No confirmed reading of a film gives a neck-shaft angle yet" in form
    angles = {
        "neck_shaft_angle_deg": 155,
        "target_neck_shaft_angle_deg": 115,
        "plate_angle_deg": 100,
    }
    refused = client.post("/api/osteotomy-plans", json=angles)
    assert refused.status_code == 403
    headers = {"X-CSRF-Token": token}
    plan = client.post("/api/osteotomy-plans", json=angles, headers=headers)
    assert plan.status_code == 200, plan.text
    assert plan.json()["correction_deg"] == 40
    assert plan.json()["chisel_to_shaft_deg"] == 140
    wrong = client.post(
        "/api/osteotomy-plans", json={**angles, "plate_angle_deg": "wide"}, headers=headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "plate_angle_deg"
    assert client.post("/api/osteotomy-plans", json=[1], headers=headers).status_code == 422


def test_the_planner_button_without_javascript_keeps_everything_typed_and_saves_nothing(
    client: TestClient, lee: int
) -> None:
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    answer = client.post(
        f"/children/{child_id}/operations",
        data={
            "csrf_token": token,
            "action": "planner",
            "sides": "left",
            "procedures": ["vdro", "dega"],
            "implant": "Typed implant 3.5 mm",
            "surgeon_id": str(lee),
            "planner_neck_shaft_angle_deg": "150",
            "planner_target_neck_shaft_angle_deg": "120",
            "planner_plate_angle_deg": "90",
        },
    )
    assert answer.status_code == 200
    assert "<dd>30° varus</dd>" in answer.text
    assert 'value="Typed implant 3.5 mm"' in answer.text
    assert 'name="sides" value="left" checked' in answer.text
    assert 'name="procedures" value="dega" checked' in answer.text
    assert 'name="plate_angle_deg" inputmode="decimal" value="90"' in answer.text
    record = client.get(f"/api/children/{child_id}").json()
    assert record.get("operation_plans", []) == []


def test_a_postponement_based_on_a_date_someone_else_changed_gets_a_conflict(
    client: TestClient, lee: int, uow: SqlAlchemyUnitOfWork
) -> None:
    """If-Match style: ``expected_surgery_date`` is the date the clinician saw; when another
    postponement moved it first, 409 and the plan keeps the other's date."""
    child_id, operation, headers = started_operation(client, lee)
    facts = {"wheelchair_user": False, "attends_school": True, "sees_therapists": True}
    client.post(
        f"/api/children/{child_id}/operations/{operation}/pathway", json=facts, headers=headers
    )
    seen = operation_document(child_id, lee)["surgery_date"]
    path = f"/api/children/{child_id}/operations/{operation}/postpone"
    first = client.post(
        path, json={"surgery_date": "2026-05-04", "expected_surgery_date": seen}, headers=headers
    )
    assert first.status_code == 200, first.text
    second = client.post(
        path, json={"surgery_date": "2026-06-01", "expected_surgery_date": seen}, headers=headers
    )
    assert second.status_code == 409
    assert second.json()["field"] == "expected_surgery_date"
    with uow:
        stored = uow.operation_plans.get(operation)
    assert stored is not None
    assert stored.surgery_date == date(2026, 5, 4)
    # Without the precondition a later postponement still works (existing clients).
    third = client.post(path, json={"surgery_date": "2026-06-01"}, headers=headers)
    assert third.status_code == 200, third.text


def test_an_operation_is_marked_done_once_and_the_child_page_shows_it(
    client: TestClient, lee: int, clock: Clock
) -> None:
    """Issue 14: surveillance counts an operation only once it is marked done."""
    child_id, operation, headers = started_operation(client, lee)
    path = f"/api/children/{child_id}/operations/{operation}/done"
    early = client.post(path, json={"done_on": "2026-03-03"}, headers=headers)
    assert early.status_code == 422
    assert early.json()["field"] == "done_on"
    clock.advance(days=60)
    headers = api_sign_in(client, "nurse@example.org")  # the session ended meanwhile
    done = client.post(path, json={}, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done"
    again = client.post(path, json={"done_on": "2026-04-21"}, headers=headers)
    assert again.status_code == 409
    page = client.get(f"/children/{child_id}")
    assert "Operation 1: done" in page.text


def test_the_operation_form_takes_the_day_of_surgery_over_the_sites_defaults(
    client: TestClient, lee: int, uow: SqlAlchemyUnitOfWork
) -> None:
    """Issue 17: the form shows the site's defaults (local protocol) and keeps what is typed;
    a bad time is named on the form."""
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    form = client.get(f"/children/{child_id}/operations/new")
    assert "to be confirmed by the clinical lead" in form.text
    assert 'name="dos_food_stop_time"' in form.text
    base = {
        "csrf_token": token,
        "sides": "both",
        "procedures": ["vdro"],
        "implant": "Paediatric locking hip plate 3.5 mm",
        "surgeon_id": str(lee),
        "surgery_date": "2026-05-04",
    }
    bad = client.post(
        f"/children/{child_id}/operations", data={**base, "dos_milk_stop_time": "25:00"}
    )
    assert bad.status_code == 422
    assert 'id="day_of_surgery-error"' in bad.text
    assert "milk_stop_time" in bad.text
    saved = client.post(
        f"/children/{child_id}/operations",
        data={
            **base,
            "dos_arrival_time": "09:00",
            "dos_what_to_bring": "Her glasses\n\nHer tablet",
        },
    )
    assert saved.status_code == 303, saved.text
    with uow:
        [operation] = uow.operation_plans.for_child(child_id)
    day = operation.day_of_surgery
    assert day is not None
    assert day.arrival_time.strftime("%H:%M") == "09:00"
    assert day.food_stop_time.strftime("%H:%M") == "03:00"  # 6 h before the arrival
    assert day.what_to_bring == ("Her glasses", "Her tablet")
    assert day.to_be_confirmed
