"""Marking one operation done from several places at the same moment, on the real server
with three workers (``hipcare serve --workers 3``, each its own engine and connections) on
SQLite and PostgreSQL: the database decides the one winner, the others are told with a 409
and nothing of theirs is kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from tests.support.servers import Running, at_once, signed_in_client
from web_support import EMAILS, HARBOUR, PASSWORD, Staff

from hipcare.domain.records import AuditAction, EntityType, OperationStatus
from hipcare.storage import SqlAlchemyUnitOfWork

CLIENTS = 6
PLANNED = "2026-03-09"  # a week after the test clock's today (web_support.Clock)
DONE_ON = "2026-03-02"  # another day than planned: the winner also re-dates the care plan


def _planned_operation(client: TestClient, staff: Staff) -> tuple[int, int]:
    """A child with an operation planned and its pathway started (through the in-process
    app on the same database): (child id, operation id)."""
    signed = client.post("/api/sign-in", json={"email": EMAILS["surgeon"], "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    headers = {"X-CSRF-Token": signed.json()["csrf_token"]}
    child = client.post(
        "/api/children",
        json={
            "given_name": "Mai",
            "family_name": "Tran",
            "date_of_birth": "2020-07-01",
            "site": HARBOUR,
        },
        headers=headers,
    )
    assert child.status_code == 201, child.text
    child_id = child.json()["id"]
    operation = client.post(
        f"/api/children/{child_id}/operations",
        json={
            "sides": "both",
            "procedures": ["vdro"],
            "implant": "Paediatric locking hip plate 3.5 mm",
            "surgeon_id": staff.surgeon,
            "surgery_date": PLANNED,
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
    return child_id, operation_id


@pytest.mark.slow
def test_six_requests_marking_one_operation_done_at_once_get_one_200_and_five_409(
    client: TestClient,
    uow: SqlAlchemyUnitOfWork,
    staff: Staff,
    database_url: str,
    start_server: Callable[[str], Running],
) -> None:
    """Of six simultaneous ``POST .../operations/{op}/done`` (two clinicians, three sessions
    each, spread over three workers) one is answered 200 and five 409 naming ``status``; the
    operation is stored done on the day sent, and ``operation.done`` is audited once."""
    child_id, operation_id = _planned_operation(client, staff)
    server = start_server(database_url)
    clinicians = [
        signed_in_client(server.base_url, EMAILS[who], PASSWORD)
        for who in ("surgeon", "nurse") * (CLIENTS // 2)
    ]
    done_path = f"/api/children/{child_id}/operations/{operation_id}/done"
    try:
        answers = at_once(
            [lambda c=c: c.post(done_path, json={"done_on": DONE_ON}) for c in clinicians]
        )
    finally:
        for clinician in clinicians:
            clinician.close()

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [409] * (CLIENTS - 1), [answer.text for answer in answers]
    [won] = [answer.json() for answer in answers if answer.status_code == 200]
    assert (won["id"], won["status"], won["surgery_date"]) == (operation_id, "done", DONE_ON)
    for refused in (answer.json() for answer in answers if answer.status_code == 409):
        assert refused["field"] == "status", refused
        assert "nothing" in refused["problem"], refused
    with uow:
        operation = uow.operation_plans.get(operation_id)
        actions = [entry.action for entry in uow.audit.for_entity(EntityType.CHILD, str(child_id))]
    assert operation is not None
    assert (operation.status, operation.surgery_date) == (
        OperationStatus.DONE,
        date.fromisoformat(DONE_ON),
    )
    assert actions.count(AuditAction.OPERATION_DONE) == 1
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-4000:]
