"""Recording and reading an operation's outcome over every storage engine.

Who may (clinicians of the child's site), the audit trail, replacing a record, and refusals
that name the JSON field.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from tests.support.engines import StorageEngine
from tests.support.staff import HARBOUR, NORTHERN, NOW, TODAY, Staff

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.outcomes import ComplicationGrade, OutcomeThresholds
from hipcare.domain.pathway import Procedure, Sides, WeightBearing
from hipcare.domain.records import Child, OperationPlan, OperationStatus
from hipcare.services.access import PermissionDeniedError
from hipcare.services.operation_outcomes import (
    open_site_report,
    operation_outcome,
    outcome_document,
    record_operation_outcome,
)
from hipcare.services.ports import UnitOfWork

SURGERY = TODAY - timedelta(days=60)
THRESHOLDS = OutcomeThresholds(readmission_window_days=30)


def _operation(uow: UnitOfWork, staff: Staff, *, surgery_date: date | None = SURGERY) -> int:
    """A Harbour child with a done right VDRO (with a Dega osteotomy) on ``surgery_date``."""
    with uow:
        child = uow.children.add(
            Child(
                given_name="Noor",
                family_name="Example",
                date_of_birth=date(2018, 4, 9),
                site_id=HARBOUR,
                gmfcs=GMFCS.IV,
            )
        )
        assert child.id is not None
        plan = uow.operation_plans.add(
            OperationPlan(
                child_id=child.id,
                sides=Sides.RIGHT,
                procedures=(Procedure.VDRO, Procedure.DEGA),
                implant="90 degree paediatric blade plate",
                surgeon_id=staff.surgeon,
                weight_bearing=WeightBearing.AS_TOLERATED,
                positioning_device=False,
                status=OperationStatus.DONE if surgery_date else OperationStatus.PROPOSED,
                surgery_date=surgery_date,
            )
        )
        uow.commit()
    assert plan.id is not None
    return plan.id


def _day(days_after_surgery: int) -> str:
    return (SURGERY + timedelta(days=days_after_surgery)).isoformat()


def _document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "admission_date": _day(-1),
        "discharge_date": _day(5),
        "complications": [
            {"grade": "II", "description": "wound ooze, oral antibiotics", "date": _day(9)}
        ],
        "readmission_dates": [_day(20)],
        "return_to_theatre": False,
        "reoperations": [],
        "plate_removal_date": None,
    }
    document.update(changes)
    return document


def test_a_nurse_records_an_outcome_and_reads_it_back(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    """The stay is discharge minus admission; a readmission 15 days after discharge counts."""
    operation_id = _operation(uow, staff)
    record_operation_outcome(uow, staff.nurse, operation_id, _document(), NOW)
    view = operation_outcome(uow, staff.surgeon, operation_id, NOW)
    assert view.length_of_stay_days == 6
    assert view.readmitted_within(30) is True
    assert view.readmitted_within(14) is False
    assert view.recorded is not None
    assert [item.grade for item in view.recorded.complications] == [ComplicationGrade.II]
    document = outcome_document(view, THRESHOLDS)
    assert document["complications"] == [
        {"grade": "II", "description": "wound ooze, oral antibiotics", "date": _day(9)}
    ]
    assert document["readmission_dates"] == [_day(20)]
    actions = [row["action"] for row in storage.audit_rows()]
    assert actions[-2:] == ["outcome.recorded", "outcome.read"]


def test_recording_again_replaces_the_whole_outcome(uow: UnitOfWork, staff: Staff) -> None:
    """A second record leaves no complication or readmission of the first behind."""
    operation_id = _operation(uow, staff)
    record_operation_outcome(uow, staff.nurse, operation_id, _document(), NOW)
    record_operation_outcome(
        uow,
        staff.surgeon,
        operation_id,
        _document(
            complications=[],
            readmission_dates=[],
            return_to_theatre=True,
            reoperations=[{"side": "right", "date": _day(400)}],
            plate_removal_date=_day(700),
        ),
        NOW,
    )
    document = outcome_document(operation_outcome(uow, staff.nurse, operation_id, NOW), THRESHOLDS)
    assert document["complications"] == []
    assert document["readmission_dates"] == []
    assert document["readmitted_within_window"] is False
    assert document["return_to_theatre"] is True
    assert document["reoperations"] == [{"side": "right", "date": _day(400)}]
    assert document["plate_removal_date"] == _day(700)
    assert document["recorded_by"] == staff.surgeon


def test_an_operation_with_nothing_recorded_reads_as_unknown(uow: UnitOfWork, staff: Staff) -> None:
    """Nothing recorded: null dates, empty lists, an unknown stay."""
    operation_id = _operation(uow, staff)
    document = outcome_document(
        operation_outcome(uow, staff.surgeon, operation_id, NOW), THRESHOLDS
    )
    assert document["recorded"] is False
    assert document["length_of_stay_days"] is None
    assert document["complications"] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"discharge_date": _day(-3)}, "discharge_date"),
        ({"admission_date": _day(2)}, "admission_date"),
        (
            {"complications": [{"grade": "VI", "description": "x", "date": _day(1)}]},
            "complications[0].grade",
        ),
        (
            {"complications": [{"grade": "I", "description": "x" * 201, "date": _day(1)}]},
            "complications[0].description",
        ),
        (
            {"complications": [{"grade": "I", "description": "fever", "date": _day(-2)}]},
            "complications[0].date",
        ),
        ({"readmission_dates": [_day(3)]}, "readmission_dates[0]"),
        ({"reoperations": [{"side": "left", "date": _day(100)}]}, "reoperations[0].side"),
        (
            {"reoperations": [{"side": "right", "date": _day(0)}]},
            "reoperations[0].date",
        ),
        ({"plate_removal_date": "2026-02-30"}, "plate_removal_date"),
        ({"return_to_theatre": "no"}, "return_to_theatre"),
        ({"length_of_stay_days": 6}, "length_of_stay_days"),
    ],
)
def test_impossible_outcomes_are_refused_naming_the_field(
    uow: UnitOfWork, staff: Staff, changes: dict[str, Any], field: str
) -> None:
    """Nothing is stored; the error names the JSON field at fault."""
    operation_id = _operation(uow, staff)
    with pytest.raises(InvalidInputError) as raised:
        record_operation_outcome(uow, staff.nurse, operation_id, _document(**changes), NOW)
    assert raised.value.field == field
    assert operation_outcome(uow, staff.nurse, operation_id, NOW).recorded is None


def test_an_operation_without_a_surgery_date_has_no_outcome_yet(
    uow: UnitOfWork, staff: Staff
) -> None:
    operation_id = _operation(uow, staff, surgery_date=None)
    with pytest.raises(InvalidInputError) as raised:
        record_operation_outcome(uow, staff.nurse, operation_id, _document(), NOW)
    assert raised.value.field == "operation_id"


@pytest.mark.parametrize("who", ["physiotherapist", "administrator"])
def test_staff_of_another_site_or_not_clinicians_are_refused_and_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine, who: str
) -> None:
    """The Northern physiotherapist and Harbour's site administrator may neither read nor write."""
    operation_id = _operation(uow, staff)
    actor = getattr(staff, who)
    with pytest.raises(PermissionDeniedError):
        record_operation_outcome(uow, actor, operation_id, _document(), NOW)
    with pytest.raises(PermissionDeniedError):
        operation_outcome(uow, actor, operation_id, NOW)
    actions = [row["action"] for row in storage.audit_rows()]
    assert actions[-2:] == ["access.denied", "access.denied"]
    assert "outcome.recorded" not in actions


def test_opening_a_site_report_is_for_its_clinicians_and_audited(
    uow: UnitOfWork, staff: Staff, storage: StorageEngine
) -> None:
    open_site_report(uow, staff.nurse, NORTHERN, NOW)
    last = storage.audit_rows()[-1]
    assert (last["action"], last["entity_type"], last["entity_id"]) == (
        "site-report.read",
        "site",
        NORTHERN,
    )
    with pytest.raises(PermissionDeniedError):
        open_site_report(uow, staff.surgeon, NORTHERN, NOW)
    with pytest.raises(PermissionDeniedError):
        open_site_report(uow, staff.administrator, HARBOUR, NOW)
    assert storage.audit_rows()[-1]["action"] == "access.denied"
