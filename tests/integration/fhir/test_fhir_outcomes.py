"""An operation's recorded outcome in the FHIR export: the stay and readmissions as
Encounters, complications on the VDRO Procedure; validated with fhir.resources (R4B)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fhir_checks import validate_bundle
from fhir_support import NOW, TODAY

from hipcare.bootstrap import load_content
from hipcare.content.pathway import load_pathway
from hipcare.domain.pathway import Procedure, Sides, WeightBearing
from hipcare.domain.records import OperationPlan, OperationStatus
from hipcare.interop.fhir import codes
from hipcare.interop.fhir.mapping import child_bundle
from hipcare.services.fhir import export_child
from hipcare.services.fhir_demo import seed_demo
from hipcare.services.operation_outcomes import record_operation_outcome
from hipcare.storage import (
    SqlAlchemyUnitOfWork,
    create_database_engine,
    create_session_factory,
    upgrade_to_head,
)

SURGERY = TODAY - timedelta(days=90)


@pytest.fixture
def operated(tmp_path: Path) -> Iterator[tuple[SqlAlchemyUnitOfWork, int, int]]:
    """The demo's first child with a done VDRO and Dega: (unit of work, clinician, operation)."""
    url = f"sqlite:///{tmp_path / 'outcomes.sqlite3'}"
    upgrade_to_head(url)
    engine = create_database_engine(url)
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    clinician = seed_demo(uow, today=TODAY, children=2, content=load_content())
    with uow:
        plan = uow.operation_plans.add(
            OperationPlan(
                child_id=1,
                sides=Sides.RIGHT,
                procedures=(Procedure.VDRO, Procedure.DEGA),
                implant="90 degree paediatric blade plate",
                surgeon_id=clinician,
                weight_bearing=WeightBearing.AS_TOLERATED,
                positioning_device=False,
                status=OperationStatus.DONE,
                surgery_date=SURGERY,
            )
        )
        uow.commit()
    assert plan.id is not None
    day = lambda offset: (SURGERY + timedelta(days=offset)).isoformat()  # noqa: E731 -- a one-line date helper
    record_operation_outcome(
        uow,
        clinician,
        plan.id,
        {
            "admission_date": day(-1),
            "discharge_date": day(6),
            "complications": [{"grade": "IVa", "description": "wound infection", "date": day(10)}],
            "readmission_dates": [day(10)],
        },
        NOW,
    )
    yield uow, clinician, plan.id
    engine.dispose()


def test_the_stay_readmission_and_complication_are_exported_and_validate(
    operated: tuple[SqlAlchemyUnitOfWork, int, int],
) -> None:
    uow, clinician, operation_id = operated
    document = child_bundle(
        export_child(uow, clinician, 1, now=NOW), load_pathway(), timestamp=NOW.isoformat()
    )
    validate_bundle(document)
    resources: list[dict[str, Any]] = [entry["resource"] for entry in document["entry"]]
    encounters = [r for r in resources if r["resourceType"] == "Encounter"]
    stay, readmission = encounters
    assert stay["period"] == {
        "start": (SURGERY - timedelta(days=1)).isoformat(),
        "end": (SURGERY + timedelta(days=6)).isoformat(),
    }
    assert stay["class"]["code"] == "IMP"
    assert readmission["partOf"]["reference"] == f"Encounter/{stay['id']}"
    (vdro,) = [r for r in resources if r["id"] == f"operation-{operation_id}-vdro"]
    (complication,) = vdro["complication"]
    assert complication["coding"][0] == {
        "system": codes.CODE_SYSTEM_COMPLICATION_GRADES,
        "code": "IVa",
        "display": "Clavien-Dindo-Sink grade IVa",
    }
    assert "wound infection" not in str(document)
