"""Pages in words (issue 16): alert titles with the value and the site's clock on the
dashboard and child page, rule titles with the id in a details element, the audit log with
names, filters and a CSV download (audited), and the alert routes page for site
administrators."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from web_support import HARBOUR, Clock, Staff, sign_in

from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.diary import DiaryEntry, NumericPain, Urgency
from hipcare.domain.records import Alert, AuditAction, EntityType
from hipcare.services.records import register_child
from hipcare.storage import SqlAlchemyUnitOfWork


def _child_with_pain_alert(uow: SqlAlchemyUnitOfWork, staff: Staff, clock: Clock) -> int:
    """A child whose diary says pain 8 of 10 at the clock's time (20:30 in Sydney)."""
    child = register_child(
        uow,
        staff.nurse,
        {
            "given_name": "Mele",
            "family_name": "Tupou",
            "date_of_birth": "2020-01-01",
            "site": HARBOUR,
            "preferred_language": "en",
            "gmfcs": "IV",
        },
        today=clock.now.date(),
        now=clock.now,
        rules=load_surveillance_rules(),
    )
    assert child.id is not None
    with uow:
        entry_id = uow.family.add_diary_entry(
            DiaryEntry(child.id, clock.now, NumericPain(8)),
            staff.nurse,
            {"pain_score": 8},
            Urgency.CALL_TEAM,
        )
        alert = uow.alerts.add(Alert(child.id, "diary-pain-numeric", clock.now))
        assert alert.id is not None
        uow.family.set_diary_alert(entry_id, alert.id)
        uow.commit()
    return child.id


def test_the_dashboard_titles_an_alert_in_words_with_the_value_and_the_sites_clock(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff, clock: Clock
) -> None:
    """09:30 UTC on 2 March 2026 is 20:30 in Sydney (the demo sites' time zone)."""
    child_id = _child_with_pain_alert(uow, staff, clock)
    sign_in(client, "nurse")
    dashboard = client.get(f"/sites/{HARBOUR}/dashboard").text
    assert "Pain 8 of 10, written 20:30" in dashboard
    assert "2026-03-02 20:30 AEDT" in dashboard
    assert "diary pain numeric" not in dashboard
    page = client.get(f"/children/{child_id}").text
    assert "Pain 8 of 10, written 20:30" in page
    assert "2026-03-02 20:30 AEDT" in page
    assert " UTC" not in page


def test_rules_are_shown_by_title_with_the_id_in_a_details_element(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff, clock: Clock
) -> None:
    child_id = _child_with_pain_alert(uow, staff, clock)
    sign_in(client, "nurse")
    rules = load_surveillance_rules()
    for path in (f"/children/{child_id}", f"/sites/{HARBOUR}/worklist"):
        text = client.get(path).text
        shown = [rule for rule in rules.rules if f"<code>{rule.id}</code>" in text]
        assert shown, path
        for rule in shown:
            assert rule.title in text.replace("&#39;", "'"), (path, rule.id)
        assert "<summary>Rule id" in text


def test_the_audit_log_has_names_filters_and_an_audited_csv_download(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff, clock: Clock
) -> None:
    child_id = _child_with_pain_alert(uow, staff, clock)
    other = register_child(
        uow,
        staff.surgeon,
        {
            "given_name": "Kiri",
            "family_name": "Walker",
            "date_of_birth": "2019-05-05",
            "site": HARBOUR,
            "preferred_language": "en",
            "gmfcs": "III",
        },
        today=clock.now.date(),
        now=clock.now,
        rules=load_surveillance_rules(),
    )
    sign_in(client, "administrator")
    everything = client.get(f"/sites/{HARBOUR}/audit").text
    assert "Mele Tupou" in everything
    assert "Kiri Walker" in everything
    assert "Ben Nurse" in everything
    assert "Ada Surgeon" in everything

    by_surgeon = client.get(f"/sites/{HARBOUR}/audit", params={"who": staff.surgeon}).text
    assert "Kiri Walker</a>" in by_surgeon
    assert "Mele Tupou</a>" not in by_surgeon
    about_mele = client.get(f"/sites/{HARBOUR}/audit", params={"child": child_id}).text
    assert "Mele Tupou</a>" in about_mele
    assert "Kiri Walker</a>" not in about_mele
    # 2 March in Sydney holds both registrations; 1 March holds none.
    day = {"from": "2026-03-02", "to": "2026-03-02", "action": "child.registered"}
    on_the_day = client.get(f"/sites/{HARBOUR}/audit", params=day).text
    assert on_the_day.count("<td>Registered a child</td>") == 2
    before = {"from": "2026-03-01", "to": "2026-03-01"}
    assert "No entry matches" in client.get(f"/sites/{HARBOUR}/audit", params=before).text

    download = client.get(f"/sites/{HARBOUR}/audit.csv", params={"child": other.id})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert rows
    assert {row["child"] for row in rows} == {"Kiri Walker"}
    assert {row["action code"] for row in rows} >= {AuditAction.CHILD_REGISTERED.value}
    assert all(row["when"].endswith("+11:00") for row in rows), "the site's time zone"
    with uow:
        reads = [
            entry
            for entry in uow.audit.for_entity(EntityType.SITE, HARBOUR)
            if entry.action is AuditAction.AUDIT_LOG_READ
        ]
    assert len(reads) == 6, "every page view and the download is audited as a read"

    bad = client.get(f"/sites/{HARBOUR}/audit", params={"from": "2026-02-30"})
    assert bad.status_code == 422
    assert "from" in bad.text


def test_only_site_administrators_see_the_audit_log_and_the_alert_routes(
    client: TestClient,
) -> None:
    sign_in(client, "nurse")
    for path in ("audit", "audit.csv", "alert-routes"):
        assert client.get(f"/sites/{HARBOUR}/{path}").status_code == 403, path


def test_a_site_administrator_sets_the_alert_routes_and_a_bad_address_is_named(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    csrf = sign_in(client, "administrator")
    page = client.get(f"/sites/{HARBOUR}/alert-routes")
    assert page.status_code == 200
    assert "Australia/Sydney" in page.text
    assert "to be confirmed by the clinical lead" in page.text
    form = {
        "csrf_token": csrf,
        "working_days": ["mon", "tue", "wed"],
        "working_hours_start": "07:30",
        "working_hours_end": "15:30",
        "working_hours_address": "day@harbour.example.org",
        "after_hours_address": "not an address",
        "administrators_address": "",
    }
    refused = client.post(f"/sites/{HARBOUR}/alert-routes", data=form)
    assert refused.status_code == 422
    assert "after hours address" in refused.text
    assert 'value="not an address"' in refused.text, "what was typed is kept"
    form["after_hours_address"] = "night@harbour.example.org"
    saved = client.post(f"/sites/{HARBOUR}/alert-routes", data=form)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    assert "Saved." in page
    assert 'value="night@harbour.example.org"' in page
    assert 'value="07:30"' in page
    with uow:
        actions = [entry.action for entry in uow.audit.for_entity(EntityType.SITE, HARBOUR)]
    assert actions.count(AuditAction.ALERT_ROUTES_CHANGED) == 1
    assert actions.count(AuditAction.ALERT_ROUTES_READ) == 3
