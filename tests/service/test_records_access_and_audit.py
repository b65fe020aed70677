"""Record use cases over every storage engine: memory, SQLite and PostgreSQL.

Authorisation (site membership, clinician role), the audit trail and validation with the
domain. That audit rows hold ids only, the worklist and the stateless app are tested on the
databases (tests/integration/storage).
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.engines import StorageEngine
from tests.support.staff import HARBOUR, NORTHERN, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.radiograph import Side
from hipcare.domain.records import AuditAction, EntityType
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import (
    PermissionDeniedError,
    find_children,
    get_child,
    record_visit,
    register_child,
)

CONTENT = load_content()

FIXTURES = Path(__file__).parents[1] / "fixtures"


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


def _register(uow: UnitOfWork, actor: int, **changes: Any) -> int:
    child = register_child(
        uow, actor, _form(**changes), today=TODAY, now=NOW, rules=CONTENT.surveillance_rules
    )
    assert child.id is not None
    return child.id


# --- register ---------------------------------------------------------------------------------


def test_registering_a_child_stores_them_and_audits_the_change(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    child_id = _register(uow, staff.surgeon)
    child = get_child(uow, staff.surgeon, child_id, now=NOW).child
    assert (child.given_name, child.gmfcs, child.gestation_weeks) == ("Layla", GMFCS.IV, 29.0)
    assert child.contacts[0].relationship == "mother"
    rows = storage.audit_rows()
    assert [(row["actor_id"], row["action"], row["entity_id"]) for row in rows] == [
        (staff.surgeon, "child.registered", str(child_id)),
        (staff.surgeon, "child.read", str(child_id)),
    ]


def test_registering_at_a_site_the_actor_does_not_belong_to_is_refused_and_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    with pytest.raises(PermissionDeniedError, match="does not belong to site"):
        _register(uow, staff.surgeon, site=NORTHERN)
    assert storage.count("children") == 0
    assert [
        (row["action"], row["entity_type"], row["entity_id"]) for row in storage.audit_rows()
    ] == [("access.denied", "site", NORTHERN)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"site": "nowhere"}, "site"),  # a well-formed id that no site has
        ({"date_of_birth": "2026-03-03"}, "date_of_birth"),
    ],
)
def test_registration_form_errors_name_the_field(
    uow: UnitOfWork, staff: Staff, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _register(uow, staff.surgeon, **changes)
    assert caught.value.field == field


def test_an_unknown_actor_is_refused(uow: UnitOfWork, staff: Staff) -> None:
    with pytest.raises(PermissionDeniedError, match="user 999 is not known"):
        _register(uow, 999)


# --- find and read ----------------------------------------------------------------------------


def test_finding_children_is_scoped_to_the_actors_sites_and_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    harbour_child = _register(uow, staff.nurse, family_name="Nguyễn")
    northern_child = _register(uow, staff.nurse, family_name="Nguyen-Smith", site=NORTHERN)

    by_nurse = find_children(uow, staff.nurse, "NGUYEN", now=NOW)
    by_surgeon = find_children(uow, staff.surgeon, "nguyen", now=NOW)
    by_physio = find_children(uow, staff.physiotherapist, "nguy", now=NOW)

    assert [child.id for child in by_nurse] == [harbour_child, northern_child]
    assert [child.id for child in by_surgeon] == [harbour_child]
    assert [child.id for child in by_physio] == [northern_child]
    listed = [
        (row["actor_id"], row["entity_id"])
        for row in storage.audit_rows()
        if row["action"] == "child.listed"
    ]
    assert listed == [
        (staff.nurse, str(harbour_child)),
        (staff.nurse, str(northern_child)),
        (staff.surgeon, str(harbour_child)),
        (staff.physiotherapist, str(northern_child)),
    ]


def test_a_search_of_one_letter_is_refused(uow: UnitOfWork, staff: Staff) -> None:
    with pytest.raises(InvalidInputError, match="at least 2 letters"):
        find_children(uow, staff.nurse, " é ", now=NOW)


def test_reading_a_child_of_another_site_is_refused_and_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    child_id = _register(uow, staff.surgeon)
    with pytest.raises(PermissionDeniedError, match="does not belong to the child's site"):
        get_child(uow, staff.physiotherapist, child_id, now=NOW)
    last = storage.audit_rows()[-1]
    assert (last["actor_id"], last["action"], last["entity_type"], last["entity_id"]) == (
        staff.physiotherapist,
        "access.denied",
        "child",
        str(child_id),
    )


def test_reading_a_child_that_does_not_exist_names_the_id(uow: UnitOfWork, staff: Staff) -> None:
    with pytest.raises(InvalidInputError, match="child_id: no child with id 4242"):
        get_child(uow, staff.nurse, 4242, now=NOW)


# --- record a visit ---------------------------------------------------------------------------


def test_recording_a_visit_keeps_the_measures_and_audits_it(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    child_id = _register(uow, staff.surgeon)
    film = json.loads((FIXTURES / "sample_film.json").read_text(encoding="utf-8"))
    visit = record_visit(
        uow,
        staff.surgeon,
        child_id,
        {
            "visit_date": "2026-03-02",
            "xray": True,
            "right": {"migration_percentage_raw": 104.5, "head_shaft_angle_deg": 164},
            "left": {"migration_percentage_reported": 21, "acetabular_index_deg": 24.5},
            "film": film,
        },
        today=TODAY,
        now=NOW,
        rules=CONTENT.surveillance_rules,
    )
    read = get_child(uow, staff.nurse, child_id, now=NOW + timedelta(minutes=1))
    assert read.visits == (visit,)
    right = visit.hip(Side.RIGHT)
    assert right is not None
    assert (right.migration_percentage_raw, right.migration_percentage_reported) == (104.5, 100.0)
    assert visit.film == film
    assert (visit.recorded_by, visit.recorded_at) == (staff.surgeon, NOW)
    recorded = [row for row in storage.audit_rows() if row["action"] == "visit.recorded"]
    assert [(row["entity_type"], row["entity_id"]) for row in recorded] == [
        ("visit", str(visit.id))
    ]


@pytest.mark.parametrize(
    ("visit", "field"),
    [
        ({"visit_date": "2026-03-03", "xray": False}, "visit_date"),  # after today
        ({"visit_date": "2021-05-16", "xray": False}, "visit_date"),  # before birth
        (
            {
                "visit_date": "2026-01-05",
                "xray": True,
                "right": {"migration_percentage_reported": 130},
            },
            "right.migration_percentage_reported",
        ),
    ],
)
def test_visit_errors_name_the_field(
    uow: UnitOfWork, staff: Staff, visit: dict[str, Any], field: str
) -> None:
    child_id = _register(uow, staff.surgeon)
    with pytest.raises(InvalidInputError) as caught:
        record_visit(
            uow,
            staff.surgeon,
            child_id,
            visit,
            today=TODAY,
            now=NOW,
            rules=CONTENT.surveillance_rules,
        )
    assert caught.value.field == field


def test_a_site_administrator_may_not_record_measures(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    child_id = _register(uow, staff.surgeon)
    with pytest.raises(PermissionDeniedError, match="only a clinician records measures"):
        record_visit(
            uow,
            staff.administrator,
            child_id,
            {"visit_date": "2026-01-05", "xray": False},
            today=TODAY,
            now=NOW,
            rules=CONTENT.surveillance_rules,
        )
    assert storage.count("visits") == 0


def test_a_site_administrator_may_not_register_a_child_and_the_refusal_is_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    """Registering is a clinician's work (issue 13): an administrator of the site is refused."""
    with pytest.raises(PermissionDeniedError, match="only a clinician registers a child"):
        _register(uow, staff.administrator)
    assert storage.count("children") == 0
    with uow:
        denied = uow.audit.for_entity(EntityType.SITE, HARBOUR)
    assert [entry.action for entry in denied] == [AuditAction.ACCESS_DENIED]


def test_a_clinician_of_another_site_may_not_record_a_visit(uow: UnitOfWork, staff: Staff) -> None:
    child_id = _register(uow, staff.surgeon)
    with pytest.raises(PermissionDeniedError):
        record_visit(
            uow,
            staff.physiotherapist,
            child_id,
            {"visit_date": "2026-01-05", "xray": False},
            today=TODAY,
            now=NOW,
            rules=CONTENT.surveillance_rules,
        )


@pytest.mark.parametrize(
    ("name", "limit", "problem"),
    [(42, 10, "must be text"), ("nguyen", 0, "from 1 to 500"), ("nguyen", True, "from 1 to 500")],
)
def test_a_malformed_search_is_refused(
    uow: UnitOfWork, staff: Staff, name: Any, limit: Any, problem: str
) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        find_children(uow, staff.nurse, name, now=NOW, limit=limit)
