"""Clinical web pages and API, surveillance side: films and the MP trend chart, field
messages, the site worklist, refusals for another site, CSRF, OpenAPI; on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections import Counter

import pytest
from clinical_flows import (
    SVG,
    add_lee,
    api_sign_in,
    film,
    operation_document,
    read_chart,
    register,
)
from fastapi.testclient import TestClient
from web_support import HARBOUR, Staff, sign_in

from hipcare.domain.records import AuditAction
from hipcare.storage import SqlAlchemyUnitOfWork


@pytest.fixture
def lee(uow: SqlAlchemyUnitOfWork, password_hash: str, staff: Staff) -> int:
    """A Harbour surgeon whose preference profile is dr-lee (surgeons.toml)."""
    return add_lee(uow, password_hash)


def test_two_films_draw_two_points_per_hip_and_the_30_and_40_lines(client: TestClient) -> None:
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    film(client, token, child_id, "2025-09-01", "22", "14")
    film(client, token, child_id, "2026-03-01", "28", "31")
    page = client.get(f"/children/{child_id}")
    assert page.status_code == 200
    chart = read_chart(page.text)
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
    child_id = register(client, token)
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


def test_the_visit_form_records_the_examination_and_hip_pain_brings_a_referral(
    client: TestClient,
) -> None:
    """Issue 14: examination findings at a visit feed the referral rule (local protocol)."""
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    form = {"csrf_token": token, "visit_date": "2026-01-05", "xray": "yes", "right_mp": "12"}
    bad = client.post(
        f"/children/{child_id}/visits", data={**form, "left_abduction": "wide", "hip_pain": "yes"}
    )
    assert bad.status_code == 422
    assert 'id="left_abduction-error"' in bad.text
    recorded = client.post(
        f"/children/{child_id}/visits",
        data={**form, "hip_pain": "yes", "right_abduction": "35", "scoliosis": ""},
        follow_redirects=False,
    )
    assert recorded.status_code == 303
    child = client.get(f"/api/children/{child_id}").json()
    assert child["visits"][-1]["examination"] == {
        "hip_pain": True,
        "passive_abduction_deg": {"right": 35.0},
    }
    entries = {e["child_id"]: e for e in client.get(f"/api/sites/{HARBOUR}/worklist").json()}
    assert entries[child_id]["status"] == "needs referral"


def test_the_visit_api_takes_an_examination_and_refuses_an_impossible_angle(
    client: TestClient,
) -> None:
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    headers = api_sign_in(client, "nurse@example.org")
    path = f"/api/children/{child_id}/visits"
    visit = {"visit_date": "2026-01-05", "xray": False}
    wrong = client.post(
        path,
        json={**visit, "examination": {"passive_abduction_deg": {"left": 200}}},
        headers=headers,
    )
    assert wrong.status_code == 422
    stored = client.post(
        path,
        json={**visit, "examination": {"passive_abduction_deg": {"left": 20}}},
        headers=headers,
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["examination"] == {"passive_abduction_deg": {"left": 20.0}}


def test_the_worklist_shows_referral_and_overdue_children_and_filters_by_status(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """Filtered by status, the API audits only the children it returns."""
    token = sign_in(client, "nurse")
    rising = register(client, token, given_name="Rising")
    film(client, token, rising, "2025-09-01", "29", "14")
    film(client, token, rising, "2026-02-20", "43", "15")
    late = register(client, token, given_name="Late", family_name="Reviewer")
    film(client, token, late, "2024-01-10", "18", "16")
    entries = {e["child_id"]: e for e in client.get(f"/api/sites/{HARBOUR}/worklist").json()}
    assert entries[rising]["status"] == "needs referral"
    assert entries[late]["status"] == "overdue"
    with uow:
        listed_before = _listed_children(uow, staff.nurse)
    only_overdue = client.get(f"/api/sites/{HARBOUR}/worklist", params={"status": "overdue"})
    assert [e["child_id"] for e in only_overdue.json()] == [late]
    with uow:
        listed_after = _listed_children(uow, staff.nurse)
    assert listed_after[rising] == listed_before[rising]
    assert listed_after[late] == listed_before[late] + 1
    page = client.get(f"/sites/{HARBOUR}/worklist", params={"status": "needs-referral"})
    assert page.status_code == 200
    assert f'href="/children/{rising}#surveillance"' in page.text
    assert f'href="/children/{late}#surveillance"' not in page.text
    assert "badge-needs_referral" in page.text


def _listed_children(uow: SqlAlchemyUnitOfWork, actor: int) -> Counter[int]:
    return Counter(
        int(entry.entity_id)
        for entry in uow.audit.by_actor(actor)
        if entry.action is AuditAction.CHILD_LISTED
    )


def test_another_sites_child_and_dashboard_are_refused_and_the_refusal_audited(
    client: TestClient, lee: int, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    headers = api_sign_in(client, "physio@example.org")  # Northern only
    assert client.get(f"/api/children/{child_id}/surveillance").status_code == 403
    planned = client.post(
        f"/api/children/{child_id}/operations",
        json=operation_document(child_id, lee),
        headers=headers,
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
    child_id = register(client, token)
    api_sign_in(client, "nurse@example.org")
    response = client.post(
        f"/api/children/{child_id}/operations", json=operation_document(child_id, lee)
    )
    assert response.status_code == 403
    form = client.post(
        f"/children/{child_id}/visits", data={"visit_date": "2026-01-01", "xray": "no"}
    )
    assert form.status_code == 403


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
