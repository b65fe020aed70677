"""The worklist page shows a page of children and "show more" (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from web_support import HARBOUR, Staff, sign_in

from hipcare.bootstrap import load_content
from hipcare.services.records import register_child
from hipcare.services.worklist import WORKLIST_PAGE_SIZE
from hipcare.storage import SqlAlchemyUnitOfWork

CONTENT = load_content()

_ROW = re.compile(r'<th scope="row"><a href="/children/(\d+)#surveillance">')


def test_the_worklist_page_shows_a_page_then_more_in_the_order_asked(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """One page more children than a page, all overdue (never filmed, past 24 months)."""
    now = datetime.now(UTC)
    ids = [
        register_child(
            uow,
            staff.nurse,
            {
                "given_name": f"Child{number:03d}",
                "family_name": "Overdue",
                "date_of_birth": "2020-01-10",
                "site": HARBOUR,
                "gmfcs": "II",
            },
            today=now.date(),
            now=now,
            rules=CONTENT.surveillance_rules,
        ).id
        for number in range(WORKLIST_PAGE_SIZE + 1)
    ]
    sign_in(client, "nurse")

    first = client.get(f"/sites/{HARBOUR}/worklist", params={"sort": "name", "show": "abc"})
    assert first.status_code == 200
    assert [int(found) for found in _ROW.findall(first.text)] == ids[:WORKLIST_PAGE_SIZE]
    assert f"{WORKLIST_PAGE_SIZE} of {WORKLIST_PAGE_SIZE + 1} children" in first.text
    assert f"Overdue ({WORKLIST_PAGE_SIZE + 1})" in first.text
    more = f"show={2 * WORKLIST_PAGE_SIZE}"
    assert more in first.text
    assert "Show 1 more of 1" in first.text

    everyone = client.get(f"/sites/{HARBOUR}/worklist?status=&sort=name&{more}")
    assert [int(found) for found in _ROW.findall(everyone.text)] == ids
    assert "more of" not in everyone.text
