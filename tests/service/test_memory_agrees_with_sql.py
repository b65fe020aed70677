"""The in-memory unit of work and the SQL one give the same answers to the same use cases.

Each test runs one scenario on a fresh memory store and on a fresh database (SQLite, then
PostgreSQL) and compares what the use cases and the repositories answer: the fake may only
stand in for the database where it agrees with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.support.databases import DATABASE_KINDS, migrated_database
from tests.support.engines import MemoryEngine, SqlEngine, StorageEngine
from tests.support.staff import HARBOUR, NORTHERN, NOW, TODAY, Staff, add_staff

from hipcare.bootstrap import load_content
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.errors import HipcareError
from hipcare.domain.records import Alert, AuditAction, AuditEntry, Child, EntityType, VisitRecord
from hipcare.services.accounts import site_audit_log
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import find_children, get_child, record_visit, register_child
from hipcare.services.surveillance_status import rules_version
from hipcare.storage import create_database_engine

CONTENT = load_content()

Scenario = Callable[[UnitOfWork, Staff], dict[str, Any]]


@pytest.fixture(params=DATABASE_KINDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageEngine]:
    """A database engine (SQLite or PostgreSQL) on the newest schema."""
    with migrated_database(request, request.param, tmp_path / "hipcare.sqlite3") as url:
        engine = create_database_engine(url)
        try:
            yield SqlEngine(request.param, engine)
        finally:
            engine.dispose()


def _on_both(database: StorageEngine, scenario: Scenario) -> tuple[Any, Any]:
    answers = []
    for engine in (MemoryEngine(), database):
        uow = engine.unit_of_work()
        answers.append(scenario(uow, add_staff(uow)))
    return answers[0], answers[1]


def _child(given_name: str, site: str) -> dict[str, Any]:
    return {
        "given_name": given_name,
        "family_name": "Okafor",
        "date_of_birth": "2020-02-11",
        "site": site,
        "gmfcs": "III",
        "contacts": [{"name": "Ngozi Okafor", "relationship": "mother", "phone": "0400 222 333"}],
    }


def _outcome(call: Callable[[], object]) -> object:
    """What a use case gives back, or the refusal's type and message."""
    try:
        return call()
    except HipcareError as error:
        return (type(error).__name__, str(error))


def _audit_trail(uow: UnitOfWork, staff: Staff) -> list[AuditEntry]:
    with uow:
        return [entry for actor in vars(staff).values() for entry in uow.audit.by_actor(actor)]


def test_registering_a_child_and_recording_a_visit_store_and_audit_alike(
    database: StorageEngine,
) -> None:
    """The stored child, the visit, the read back and every audit entry are the same."""

    def scenario(uow: UnitOfWork, staff: Staff) -> dict[str, Any]:
        child = register_child(
            uow,
            staff.surgeon,
            _child("Ada", HARBOUR),
            today=TODAY,
            now=NOW,
            rules=CONTENT.surveillance_rules,
        )
        assert child.id is not None
        visit = record_visit(
            uow,
            staff.surgeon,
            child.id,
            {"visit_date": "2026-02-20", "xray": True, "left": {"migration_percentage_raw": 41.5}},
            today=TODAY,
            now=NOW,
            rules=CONTENT.surveillance_rules,
        )
        return {
            "child": child,
            "visit": visit,
            "file": get_child(uow, staff.nurse, child.id, now=NOW),
            "audit": _audit_trail(uow, staff),
        }

    in_memory, in_sql = _on_both(database, scenario)
    assert in_memory == in_sql
    assert [entry.action for entry in in_memory["audit"]] == [
        AuditAction.CHILD_REGISTERED,
        AuditAction.VISIT_RECORDED,
        AuditAction.CHILD_READ,
    ]


def test_site_isolation_and_its_refusals_agree(database: StorageEngine) -> None:
    """Who finds and reads which child, who is refused (and audited), and the site audit."""

    def scenario(uow: UnitOfWork, staff: Staff) -> dict[str, Any]:
        harbour = register_child(
            uow,
            staff.nurse,
            _child("Bea", HARBOUR),
            today=TODAY,
            now=NOW,
            rules=CONTENT.surveillance_rules,
        )
        northern = register_child(
            uow,
            staff.nurse,
            _child("Cyd", NORTHERN),
            today=TODAY,
            now=NOW,
            rules=CONTENT.surveillance_rules,
        )
        assert harbour.id is not None
        assert northern.id is not None
        return {
            "found": {
                name: [child.id for child in find_children(uow, actor, "okafor", now=NOW)]
                for name, actor in vars(staff).items()
            },
            "reads": {
                name: _outcome(lambda actor=actor: get_child(uow, actor, northern.id or 0, now=NOW))
                for name, actor in vars(staff).items()
            },
            "refused_elsewhere": _outcome(
                lambda: register_child(
                    uow,
                    staff.surgeon,
                    _child("Dov", NORTHERN),
                    today=TODAY,
                    now=NOW,
                    rules=CONTENT.surveillance_rules,
                )
            ),
            "site_audit": {
                name: _outcome(lambda actor=actor: site_audit_log(uow, actor, HARBOUR))
                for name, actor in vars(staff).items()
            },
            "audit": _audit_trail(uow, staff),
        }

    in_memory, in_sql = _on_both(database, scenario)
    assert in_memory == in_sql
    assert in_memory["found"]["surgeon"] == [1]
    assert in_memory["found"]["physiotherapist"] == [2]
    assert in_memory["refused_elsewhere"][0] == "PermissionDeniedError"
    assert in_memory["reads"]["surgeon"][0] == "PermissionDeniedError"
    site_audit = in_memory["site_audit"]["administrator"]
    assert {entry.entity_id for entry in site_audit} == {"1"}  # Harbour's child only


def test_leaving_without_commit_forgets_the_writes_alike(database: StorageEngine) -> None:
    """A unit of work left without ``commit()`` stores nothing; a committed one keeps it."""

    def scenario(uow: UnitOfWork, staff: Staff) -> dict[str, Any]:
        entry = AuditEntry(staff.nurse, AuditAction.CHILD_READ, EntityType.CHILD, "77", NOW)
        with uow:
            uow.audit.add(entry)
        with uow:
            forgotten = list(uow.audit.for_entity(EntityType.CHILD, "77"))
            uow.audit.add(entry)
            uow.rollback()
            rolled_back = list(uow.audit.for_entity(EntityType.CHILD, "77"))
            uow.audit.add(entry)
            uow.commit()
        with uow:
            kept = [
                (entry.actor_id == staff.nurse, entry.action)
                for entry in uow.audit.for_entity(EntityType.CHILD, "77")
            ]
        return {"forgotten": forgotten, "rolled_back": rolled_back, "kept": kept}

    in_memory, in_sql = _on_both(database, scenario)
    assert (
        in_memory
        == in_sql
        == {
            "forgotten": [],
            "rolled_back": [],
            "kept": [(True, AuditAction.CHILD_READ)],
        }
    )


def test_stored_judgements_go_stale_alike(database: StorageEngine) -> None:
    """Registering judges the child; other rules make every child at the site stale."""
    rules = load_surveillance_rules()

    def scenario(uow: UnitOfWork, staff: Staff) -> dict[str, Any]:
        child = register_child(
            uow,
            staff.nurse,
            _child("Eli", HARBOUR),
            today=TODAY,
            now=NOW,
            rules=CONTENT.surveillance_rules,
        )
        version = rules_version(rules)
        with uow:
            return {
                "child": child.id,
                "fresh": list(uow.surveillance_status.to_judge(HARBOUR, TODAY, version)),
                "other_rules": list(uow.surveillance_status.to_judge(HARBOUR, TODAY, "other")),
                "other_site": list(uow.surveillance_status.to_judge(NORTHERN, TODAY, "other")),
            }

    in_memory, in_sql = _on_both(database, scenario)
    assert in_memory == in_sql == {"child": 1, "fresh": [], "other_rules": [1], "other_site": []}


def test_saving_a_record_that_is_not_stored_is_refused_alike(database: StorageEngine) -> None:
    """Overwriting a child, visit or alert nobody stored names the missing id, in the same words."""

    def scenario(uow: UnitOfWork, staff: Staff) -> dict[str, Any]:
        with uow:
            return {
                "child": _outcome(
                    lambda: uow.children.save(
                        Child("Fay", "Okafor", date(2020, 2, 11), HARBOUR, id=99)
                    )
                ),
                "visit": _outcome(
                    lambda: uow.visits.save(
                        VisitRecord(99, date(2026, 1, 5), False, staff.nurse, NOW, id=98)
                    )
                ),
                "alert": _outcome(lambda: uow.alerts.save(Alert(99, "pain", NOW, id=97))),
            }

    in_memory, in_sql = _on_both(database, scenario)
    assert in_memory == in_sql
    assert in_memory["child"] == ("InvalidInputError", "child.id: no child 99 is stored")
