"""An operation's outcome (page and API) and the site outcomes report page (issue 19)."""

from __future__ import annotations

from typing import Any

from clinical_flows import add_lee, api_sign_in, started_operation
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import HARBOUR, NORTHERN, form_token, sign_in

from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.storage.tables import AuditRow

OUTCOME = {
    "admission_date": "2026-04-19",
    "discharge_date": "2026-04-26",
    "complications": [{"grade": "II", "description": "urinary infection", "date": "2026-04-23"}],
    "readmission_dates": ["2026-05-10"],
    "return_to_theatre": False,
}


def _actions(uow: SqlAlchemyUnitOfWork) -> list[str]:
    with uow:
        return [str(row.action) for row in uow.orm_session().scalars(select(AuditRow))]


def test_the_api_records_and_returns_an_outcome_and_audits_both(
    client: TestClient, uow: SqlAlchemyUnitOfWork, password_hash: str
) -> None:
    """PUT replaces the outcome; GET returns it with the stay and the 30-day readmission."""
    _, operation, headers = started_operation(client, add_lee(uow, password_hash))
    response = client.put(f"/api/operations/{operation}/outcome", json=OUTCOME, headers=headers)
    assert response.status_code == 200, response.text
    body = client.get(f"/api/operations/{operation}/outcome", headers=headers).json()
    assert body["length_of_stay_days"] == 7
    assert (body["readmission_window_days"], body["readmitted_within_window"]) == (30, True)
    assert body["complications"] == OUTCOME["complications"]
    assert _actions(uow)[-2:] == ["outcome.recorded", "outcome.read"]


def test_impossible_outcomes_are_422_naming_the_field(
    client: TestClient, uow: SqlAlchemyUnitOfWork, password_hash: str
) -> None:
    _, operation, headers = started_operation(client, add_lee(uow, password_hash))
    cases: list[tuple[dict[str, Any], str]] = [
        ({**OUTCOME, "discharge_date": "2026-04-01"}, "discharge_date"),
        (
            {"complications": [{"grade": "7", "description": "x", "date": "2026-04-21"}]},
            "complications[0].grade",
        ),
        ({"colour": "blue"}, "colour"),
    ]
    for document, field in cases:
        response = client.put(
            f"/api/operations/{operation}/outcome", json=document, headers=headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field


def test_other_sites_are_403_and_unknown_operations_404(
    client: TestClient, uow: SqlAlchemyUnitOfWork, password_hash: str
) -> None:
    """The Northern physiotherapist may not read a Harbour child's outcome; refusals audited."""
    _, operation, _ = started_operation(client, add_lee(uow, password_hash))
    headers = api_sign_in(client, "physio@example.org")
    assert client.get(f"/api/operations/{operation}/outcome", headers=headers).status_code == 403
    refused = client.put(f"/api/operations/{operation}/outcome", json=OUTCOME, headers=headers)
    assert refused.status_code == 403
    assert _actions(uow)[-1] == "access.denied"
    assert client.get("/api/operations/987654/outcome", headers=headers).status_code == 404


def test_a_nurse_records_an_outcome_on_its_page(
    client: TestClient, uow: SqlAlchemyUnitOfWork, password_hash: str
) -> None:
    """The form saves and the page shows the stay; a discharge before surgery is shown back."""
    _, operation, _ = started_operation(client, add_lee(uow, password_hash))
    client.cookies.clear()
    token = sign_in(client, "nurse")
    page = client.get(f"/operations/{operation}/outcome")
    assert page.status_code == 200
    assert "Clavien-Dindo-Sink" in page.text
    form = {
        "csrf_token": form_token(page.text),
        "rows": "2",
        "admission_date": "2026-04-19",
        "discharge_date": "2026-04-25",
        "complication_grade_0": "III",
        "complication_description_0": "plate prominence, back to theatre",
        "complication_date_0": "2026-05-02",
        "readmission_dates": "2026-05-01",
        "return_to_theatre": "yes",
        "reoperation_side_0": "",
        "reoperation_date_0": "",
    }
    saved = client.post(f"/operations/{operation}/outcome", data=form)
    assert saved.status_code == 303, saved.text
    shown = client.get(f"/operations/{operation}/outcome").text
    assert "6 days" in shown
    assert "plate prominence, back to theatre" in shown
    refused = client.post(
        f"/operations/{operation}/outcome",
        data={**form, "csrf_token": token, "discharge_date": "2026-04-01"},
    )
    assert refused.status_code == 422
    assert "discharge_date" in refused.text


def test_the_site_report_page_is_for_clinicians_of_the_site(
    client: TestClient, uow: SqlAlchemyUnitOfWork, password_hash: str
) -> None:
    """Charts as SVG with tables beside them; administrators and other sites are refused."""
    add_lee(uow, password_hash)
    sign_in(client, "nurse")
    report = client.get(f"/sites/{HARBOUR}/report")
    assert report.status_code == 200, report.text
    assert report.text.count("<svg") == 2
    assert "Hips not failed, by procedure" in report.text
    assert "Surveillance coverage" in report.text
    assert client.get("/sites/nowhere/report").status_code == 404
    client.cookies.clear()
    sign_in(client, "surgeon")
    assert client.get(f"/sites/{NORTHERN}/report").status_code == 403
    client.cookies.clear()
    sign_in(client, "administrator")
    assert client.get(f"/sites/{HARBOUR}/report").status_code == 403
    assert _actions(uow)[-1] == "access.denied"


def test_a_form_with_a_mangled_row_count_reads_no_rows(
    client: TestClient, uow: SqlAlchemyUnitOfWork, password_hash: str
) -> None:
    """A row count that is not a number is read as no rows, never a server error."""
    _, operation, _ = started_operation(client, add_lee(uow, password_hash))
    client.cookies.clear()
    token = sign_in(client, "nurse")
    for rows in ("abc", "-1", "99999999999"):
        response = client.post(
            f"/operations/{operation}/outcome",
            data={"csrf_token": token, "rows": rows, "admission_date": "2026-04-19"},
        )
        assert response.status_code == 303, response.text
