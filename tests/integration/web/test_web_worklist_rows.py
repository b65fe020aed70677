"""Worklist rows (issue 16): GMFCS, age, the latest MP per hip with its film date, the last
film, days overdue and the referral's state, in the API, the page and the CSV download;
filters by status and GMFCS; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

from clinical_flows import api_sign_in, film, register
from fastapi.testclient import TestClient
from web_support import HARBOUR, sign_in

from hipcare.bootstrap import load_content


def _children(client: TestClient) -> tuple[int, int]:
    token = sign_in(client, "nurse")
    rising = register(client, token, given_name="Rising")
    film(client, token, rising, "2025-09-01", "29", "14")
    film(client, token, rising, "2026-02-20", "43", "15")
    late = register(client, token, given_name="Late", family_name="Reviewer", gmfcs="III")
    film(client, token, late, "2024-01-10", "18", "16")
    return rising, late


def test_worklist_api_rows_carry_what_cpup_users_read_first(client: TestClient) -> None:
    rising, late = _children(client)
    rows = {row["child_id"]: row for row in client.get(f"/api/sites/{HARBOUR}/worklist").json()}
    first = rows[rising]
    assert first["latest_migration_percentage"] == {"right": 43.0, "left": 15.0}
    assert first["latest_migration_percentage_film_date"] == {
        "right": "2026-02-20",
        "left": "2026-02-20",
    }
    assert first["gmfcs"] == "IV"
    assert first["age_months"] == 45  # born 2022-05-14, today 2026-03-02
    assert first["last_film"] == "2026-02-20"
    assert first["days_overdue"] == 0
    assert first["referral"] is None
    overdue = rows[late]
    assert overdue["status"] == "overdue"
    assert overdue["days_overdue"] > 0
    assert overdue["gmfcs"] == "III"
    headers = api_sign_in(client, "nurse@example.org")
    client.post(
        f"/api/children/{rising}/referrals",
        json={"referred_to": "Hip clinic", "referred_on": "2026-03-01"},
        headers=headers,
    )
    rows = {row["child_id"]: row for row in client.get(f"/api/sites/{HARBOUR}/worklist").json()}
    assert rising not in rows or rows[rising]["referral"] == "referred"


def test_the_worklist_filters_by_gmfcs_and_sorts_by_name(client: TestClient) -> None:
    rising, late = _children(client)
    level_three = client.get(f"/api/sites/{HARBOUR}/worklist", params={"gmfcs": "III"})
    assert [row["child_id"] for row in level_three.json()] == [late]
    by_name = client.get(f"/api/sites/{HARBOUR}/worklist", params={"sort": "name"}).json()
    assert [row["child_id"] for row in by_name] == [late, rising]
    refused = client.get(f"/api/sites/{HARBOUR}/worklist", params={"gmfcs": "VI"})
    assert refused.status_code == 422
    page = client.get(f"/sites/{HARBOUR}/worklist", params={"gmfcs": "IV"})
    assert f'href="/children/{rising}#surveillance"' in page.text
    assert f'href="/children/{late}#surveillance"' not in page.text
    assert "43%" in page.text


def test_the_worklist_downloads_as_csv_with_the_same_rows(client: TestClient) -> None:
    rising, late = _children(client)
    for response in (
        client.get(f"/sites/{HARBOUR}/worklist.csv"),
        client.get(f"/api/sites/{HARBOUR}/worklist", params={"format": "csv"}),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        by_child = {int(row["child_id"]): row for row in rows}
        assert set(by_child) == {rising, late}
        assert by_child[rising]["right_migration_percentage"] == "43"
        assert by_child[rising]["right_film_date"] == "2026-02-20"
        assert by_child[rising]["status"] == "needs referral"
        assert by_child[late]["gmfcs"] == "III"


def test_a_name_a_spreadsheet_would_run_is_written_as_text(client: TestClient) -> None:
    token = sign_in(client, "nurse")
    child = register(client, token, given_name="=HYPERLINK(1)")
    film(client, token, child, "2026-02-20", "43", "15")
    rows = list(csv.DictReader(io.StringIO(client.get(f"/sites/{HARBOUR}/worklist.csv").text)))
    assert rows[0]["given_name"] == "'=HYPERLINK(1)"


def test_the_csv_names_each_rule_in_words_and_says_whether_it_is_local_protocol(
    client: TestClient,
) -> None:
    """Beside ``rule_id`` (kept as it was), ``rule_title`` and ``rule_status``: "guideline",
    or local protocol to be confirmed by the clinical lead, as the page says."""
    rules = load_content().surveillance_rules
    rising, late = _children(client)
    response = client.get(f"/sites/{HARBOUR}/worklist.csv")
    header = next(csv.reader(io.StringIO(response.text)))
    assert header[-3:] == ["problem", "rule_title", "rule_status"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {int(row["child_id"]) for row in rows} == {rising, late}
    statuses = set()
    for row in rows:
        rule = rules.by_id(row["rule_id"])
        assert rule is not None
        assert row["rule_title"] == rule.title
        assert row["rule_title"] != row["rule_id"]
        statuses.add(row["rule_status"])
    assert statuses == {
        "guideline",
        "local protocol: to be confirmed by the clinical lead",
    }
