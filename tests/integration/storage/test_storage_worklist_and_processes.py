"""The site worklist, and a stateless app, on SQLite and PostgreSQL.

The worklist comes from the surveillance engine; separate engines and a separate OS process
see each other's writes, as several app processes on one database must.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from typing import Any

import pytest
from storage_support import HARBOUR, NORTHERN, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.surveillance import WorklistStatus
from hipcare.services.access import PermissionDeniedError
from hipcare.services.records import find_children, get_child, record_visit, register_child
from hipcare.services.worklist import site_worklist
from hipcare.storage import SqlAlchemyUnitOfWork, create_database_engine, create_session_factory

CONTENT = load_content()


def _form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "given_name": "Layla",
        "family_name": "Haddad",
        "date_of_birth": "2021-05-17",
        "site": HARBOUR,
        "preferred_language": "ar",
        "gmfcs": "IV",
        "gestation_weeks": 29,
        "contacts": [{"name": "Rania Haddad", "relationship": "mother", "phone": "0400 111 222"}],
    }
    form.update(changes)
    return form


def _register(uow: SqlAlchemyUnitOfWork, actor: int, **changes: Any) -> int:
    child = register_child(
        uow, actor, _form(**changes), today=TODAY, now=NOW, rules=CONTENT.surveillance_rules
    )
    assert child.id is not None
    return child.id


def _visit(uow: SqlAlchemyUnitOfWork, actor: int, child_id: int, day: str, **hips: Any) -> None:
    record_visit(
        uow,
        actor,
        child_id,
        {"visit_date": day, "xray": bool(hips), **hips},
        today=TODAY,
        now=NOW,
        rules=CONTENT.surveillance_rules,
    )


def test_site_worklist_lists_referral_then_overdue_then_due(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """Synthetic children on 2 March 2026, judged by the shipped AusACPDM-based rules."""
    rising = _register(uow, staff.nurse, given_name="Refer", gmfcs="IV")
    _visit(uow, staff.nurse, rising, "2025-06-01", right={"migration_percentage_reported": 45})
    never_filmed = _register(
        uow, staff.nurse, given_name="Overdue", gmfcs="II", date_of_birth="2023-01-10"
    )
    level_five = _register(
        uow, staff.nurse, given_name="Later", gmfcs="V", date_of_birth="2023-09-01"
    )
    _visit(uow, staff.nurse, level_five, "2025-08-20", left={"migration_percentage_reported": 22})
    in_window = _register(
        uow,
        staff.nurse,
        given_name="Due",
        gmfcs="III",
        date_of_birth="2024-09-01",
        gestation_weeks=None,
    )
    _register(uow, staff.nurse, given_name="Young", gmfcs="I", date_of_birth="2025-06-01")
    _register(uow, staff.nurse, given_name="Elsewhere", site=NORTHERN, date_of_birth="2023-01-10")

    worklist = site_worklist(
        uow, staff.surgeon, HARBOUR, load_surveillance_rules(), today=TODAY, now=NOW
    )

    assert [(entry.child_id, entry.status) for entry in worklist] == [
        (rising, WorklistStatus.NEEDS_REFERRAL),
        (never_filmed, WorklistStatus.OVERDUE),
        (level_five, WorklistStatus.OVERDUE),
        (in_window, WorklistStatus.DUE),
    ]
    # 24 months of age: the end of the initial window, overdue since.
    assert worklist[1].next_review == date(2025, 1, 10)
    assert worklist[1].rule_id == "ausacpdm-2014-initial-review"
    assert worklist[3].next_review == TODAY  # due now: the review is shown as today
    assert (worklist[0].given_name, worklist[0].family_name) == ("Refer", "Haddad")
    assert all(isinstance(entry.to_be_confirmed_by_clinical_lead, bool) for entry in worklist)


def test_site_worklist_of_another_site_is_refused(uow: SqlAlchemyUnitOfWork, staff: Staff) -> None:
    with pytest.raises(PermissionDeniedError):
        site_worklist(uow, staff.surgeon, NORTHERN, load_surveillance_rules(), today=TODAY, now=NOW)


# --- a stateless app: separate engines and processes share one database -----------------------


def test_two_engines_see_each_others_writes(
    database_url: str, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """Two app processes, each with its own engine and pool, on one database."""
    other_engine = create_database_engine(database_url)
    try:
        other = SqlAlchemyUnitOfWork(create_session_factory(other_engine))
        child_id = _register(other, staff.nurse)
        assert get_child(uow, staff.nurse, child_id, now=NOW).child.given_name == "Layla"
        _visit(uow, staff.nurse, child_id, "2026-02-02", right={"head_shaft_angle_deg": 161})
        assert len(get_child(other, staff.nurse, child_id, now=NOW).visits) == 1
    finally:
        other_engine.dispose()


@pytest.mark.slow
def test_a_child_registered_by_another_process_is_found_here(
    database_url: str, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    script = f"""
import sys
from datetime import UTC, date, datetime
from hipcare.bootstrap import load_content
from hipcare.services.records import register_child
from hipcare.settings import Settings
from hipcare.storage import SqlAlchemyUnitOfWork, create_database_engine, create_session_factory

settings = Settings.from_environ({{"HIPCARE_DATABASE_URL": sys.argv[1]}})
engine = create_database_engine(settings.database_url)
uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
child = register_child(
    uow, {staff.nurse},
    {{"given_name": "Tomas", "family_name": "Papadopoulos", "date_of_birth": "2022-02-02",
      "site": "{NORTHERN}", "preferred_language": "el"}},
    today=date(2026, 3, 2), now=datetime.now(UTC),
    rules=load_content().surveillance_rules,
)
print(child.id)
"""
    done = subprocess.run(
        [sys.executable, "-c", script, database_url],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    found = find_children(uow, staff.physiotherapist, "papadop", now=NOW)
    assert [child.id for child in found] == [int(done.stdout.strip())]


def test_a_child_the_rules_cannot_judge_is_listed_last_with_the_reason(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """A worklist asked for a day before the child was born cannot be judged; it says so."""
    child_id = _register(uow, staff.nurse)
    worklist = site_worklist(
        uow, staff.nurse, HARBOUR, load_surveillance_rules(), today=date(2020, 1, 1), now=NOW
    )
    assert [(entry.child_id, entry.status, entry.next_review) for entry in worklist] == [
        (child_id, None, None)
    ]
    assert worklist[0].problem is not None
    assert "date_of_birth" in worklist[0].problem


def test_a_worklist_for_an_unknown_site_names_it(uow: SqlAlchemyUnitOfWork, staff: Staff) -> None:
    with pytest.raises(InvalidInputError, match="no site 'atlantis' is known"):
        site_worklist(uow, staff.nurse, "atlantis", load_surveillance_rules(), today=TODAY, now=NOW)
