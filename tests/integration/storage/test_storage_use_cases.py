"""Record use cases over the real unit of work, on SQLite and PostgreSQL: the audit trail
holds ids only, read from the table itself.

The rules of who may see or change what, and what is audited, run over every engine (memory
included) in tests/service/test_records_access_and_audit.py. The worklist and the stateless
app are in test_storage_worklist_and_processes.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text
from storage_support import HARBOUR, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.records import AuditAction, EntityType
from hipcare.services.access import PermissionDeniedError
from hipcare.services.records import find_children, get_child, record_visit, register_child
from hipcare.services.worklist import site_worklist
from hipcare.storage import SqlAlchemyUnitOfWork

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


def _audit_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM audit_log ORDER BY id"))
        return [dict(row._mapping) for row in rows]


# --- the audit trail holds ids only -----------------------------------------------------------


def test_audit_rows_hold_no_names_birth_dates_or_clinical_values(
    uow: SqlAlchemyUnitOfWork, staff: Staff, engine: Engine
) -> None:
    child_id = _register(uow, staff.nurse, given_name="Yasmin", family_name="Karimi")
    record_visit(
        uow,
        staff.nurse,
        child_id,
        {"visit_date": "2025-11-03", "xray": True, "right": {"migration_percentage_raw": 37.25}},
        today=TODAY,
        now=NOW,
        rules=CONTENT.surveillance_rules,
    )
    get_child(uow, staff.nurse, child_id, now=NOW)
    find_children(uow, staff.nurse, "karimi", now=NOW)
    site_worklist(uow, staff.nurse, HARBOUR, load_surveillance_rules(), today=TODAY, now=NOW)
    with pytest.raises(PermissionDeniedError):
        get_child(uow, staff.physiotherapist, child_id, now=NOW)

    rows = _audit_rows(engine)
    assert {row["action"] for row in rows} == {
        action.value
        for action in (
            AuditAction.CHILD_REGISTERED,
            AuditAction.VISIT_RECORDED,
            AuditAction.CHILD_READ,
            AuditAction.CHILD_LISTED,
            AuditAction.ACCESS_DENIED,
        )
    }
    # ``command`` names a command-line run ("hipcare report"), never a person or a value.
    assert set(rows[0]) == {"id", "actor_id", "action", "entity_type", "entity_id", "at", "command"}
    written = " ".join(str(value) for row in rows for value in row.values()).lower()
    for secret in ("yasmin", "karimi", "rania", "2021-05-17", "37.25", "0400"):
        assert secret not in written
    assert {row["entity_type"] for row in rows} <= {kind.value for kind in EntityType}
