"""Operations marked done become the surveillance engine's ``hip_surgery`` entries."""

from __future__ import annotations

from datetime import date

from hipcare.domain.pathway import Procedure, Sides, WeightBearing
from hipcare.domain.records import OperationPlan, OperationStatus
from hipcare.domain.surveillance import HipProcedure, HipSurgery, SurgerySide
from hipcare.services.surveillance_status import hip_surgery_done

TODAY = date(2024, 3, 1)


def _plan(
    status: OperationStatus, on: date, sides: Sides, procedures: tuple[Procedure, ...]
) -> OperationPlan:
    return OperationPlan(
        child_id=1,
        sides=sides,
        procedures=procedures,
        implant="blade plate",
        surgeon_id=2,
        weight_bearing=WeightBearing.AS_TOLERATED,
        positioning_device=False,
        status=status,
        surgery_date=on,
    )


def test_each_procedure_of_a_done_operation_is_one_entry_on_its_date_and_sides() -> None:
    """A left VDRO with a Dega and a psoas release gives three left entries on one day."""
    plan = _plan(
        OperationStatus.DONE,
        date(2023, 5, 2),
        Sides.LEFT,
        (Procedure.VDRO, Procedure.DEGA, Procedure.PSOAS_RELEASE),
    )
    assert hip_surgery_done([plan], TODAY) == (
        HipSurgery(date(2023, 5, 2), SurgerySide.LEFT, HipProcedure.VDRO),
        HipSurgery(date(2023, 5, 2), SurgerySide.LEFT, HipProcedure.DEGA),
        HipSurgery(date(2023, 5, 2), SurgerySide.LEFT, HipProcedure.PSOAS_RELEASE),
    )


def test_every_side_and_procedure_the_operation_form_offers_is_known_to_the_engine() -> None:
    """The form's sides and procedures map one to one onto the engine's."""
    for sides in Sides:
        for procedure in Procedure:
            procedures = (
                (Procedure.VDRO,)
                if procedure is Procedure.VDRO
                else (
                    Procedure.VDRO,
                    procedure,
                )
            )
            plan = _plan(OperationStatus.DONE, date(2023, 5, 2), sides, procedures)
            entries = hip_surgery_done([plan], TODAY)
            assert {entry.side.value for entry in entries} == {sides.value}
            assert [entry.procedure.value for entry in entries] == [p.value for p in procedures]


def test_operations_not_done_or_dated_after_today_are_no_surgery() -> None:
    """Proposed, scheduled, postponed and cancelled plans, and a date after today, count not."""
    plans = [
        _plan(status, date(2023, 5, 2), Sides.BOTH, (Procedure.VDRO,))
        for status in OperationStatus
        if status is not OperationStatus.DONE
    ]
    plans.append(_plan(OperationStatus.DONE, date(2024, 3, 2), Sides.BOTH, (Procedure.VDRO,)))
    assert hip_surgery_done(plans, TODAY) == ()
