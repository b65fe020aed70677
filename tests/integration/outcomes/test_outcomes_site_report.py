"""``hipcare report --site`` and ``registry-export --site`` on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hipcare.bootstrap import load_content
from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.domain.pathway import Procedure, Sides, WeightBearing
from hipcare.domain.records import OperationPlan, OperationStatus

CONTENT = load_content()


def _run(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, environ, io=CommandIO(io.StringIO(), out, err, environ))
    return status, out.getvalue(), err.getvalue()


def _seed(url: str, today: date) -> None:
    """A SQLite database with the generated FHIR demo and three done operations."""
    from hipcare.services.fhir_demo import seed_demo
    from hipcare.storage import (
        SqlAlchemyUnitOfWork,
        create_database_engine,
        create_session_factory,
        upgrade_to_head,
    )

    upgrade_to_head(url)
    engine = create_database_engine(url)
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    surgeon = seed_demo(uow, today=today, children=6, content=CONTENT)
    with uow:
        for child_id, days_ago, procedures in (
            (1, 400, (Procedure.VDRO,)),
            (1, 100, (Procedure.VDRO,)),
            (3, 300, (Procedure.VDRO, Procedure.DEGA)),
        ):
            uow.operation_plans.add(
                OperationPlan(
                    child_id=child_id,
                    sides=Sides.RIGHT,
                    procedures=procedures,
                    implant="90 degree paediatric blade plate",
                    surgeon_id=surgeon,
                    weight_bearing=WeightBearing.AS_TOLERATED,
                    positioning_device=False,
                    status=OperationStatus.DONE,
                    surgery_date=today - timedelta(days=days_ago),
                )
            )
        uow.commit()
    engine.dispose()


def test_report_and_export_of_a_site_read_the_configured_database(
    database_url: str, tmp_path: Path
) -> None:
    """Done operations count; a later operation on the same hip is its re-operation."""
    today = datetime.now(UTC).date()
    _seed(database_url, today)
    environ = {"HIPCARE_DATABASE_URL": database_url}
    argv = ["report", "--site", "harbour-childrens", "--json", "--date", today.isoformat()]
    status, out, err = _run(argv, environ)
    assert (status, err) == (0, "")
    report = json.loads(out)
    assert report["operations"] == 3
    assert report["operations_by_procedure"] == {
        "vdro-alone": 2,
        "vdro-with-pelvic-osteotomy": 1,
    }
    assert report["reoperated"] == 1
    assert report["length_of_stay_days"]["median"] is None
    assert report["surveillance_coverage"]["III-V"]["children"] >= 1
    status, _, err = _run(
        ["registry-export", "--site", "harbour-childrens", "--output", str(tmp_path / "o")],
        environ,
    )
    assert (status, err) == (0, "")
    assert "Amira" not in (tmp_path / "o" / "children.csv").read_text("utf-8")
    status, _, err = _run(["report", "--site", "nowhere"], environ)
    assert status == 2
    assert "--site" in err


def test_report_of_a_site_counts_the_recorded_outcomes(database_url: str) -> None:
    """A recorded stay, complication and readmission reach ``report --site``."""
    from hipcare.services.operation_outcomes import record_operation_outcome
    from hipcare.storage import (
        SqlAlchemyUnitOfWork,
        create_database_engine,
        create_session_factory,
    )

    today = datetime.now(UTC).date()
    _seed(database_url, today)
    engine = create_database_engine(database_url)
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    with uow:
        plans = [plan for plan in uow.operation_plans.for_child(1) if plan.surgery_date]
        surgeon = plans[0].surgeon_id
    surgery = min(plan.surgery_date for plan in plans if plan.surgery_date is not None)
    operation_id = next(plan.id for plan in plans if plan.surgery_date == surgery)
    assert operation_id is not None

    def day(offset: int) -> str:
        return (surgery + timedelta(days=offset)).isoformat()

    record_operation_outcome(
        uow,
        surgeon,
        operation_id,
        {
            "admission_date": day(-1),
            "discharge_date": day(6),
            "complications": [
                {"grade": "III", "description": "screw loosening, back to theatre", "date": day(12)}
            ],
            "readmission_dates": [day(12)],
            "return_to_theatre": True,
        },
        datetime.now(UTC),
    )
    engine.dispose()
    environ = {"HIPCARE_DATABASE_URL": database_url}
    argv = ["report", "--site", "harbour-childrens", "--json", "--date", today.isoformat()]
    status, out, err = _run(argv, environ)
    assert (status, err) == (0, "")
    report = json.loads(out)
    assert report["length_of_stay_days"]["median"] == 7
    assert report["complications_by_grade"]["III"] == 1
    assert report["readmissions"] == {
        "within_days": 30,
        "readmitted": 1,
        "of_operations_with_discharge": 1,
    }
    assert report["returned_to_theatre"] == 1


def test_report_and_registry_export_of_a_site_are_audited_with_the_command_as_actor(
    database_url: str, tmp_path: Path
) -> None:
    """Issue 19: who read the site's records from the command line (no user: the command)."""
    from sqlalchemy import create_engine, text

    today = datetime.now(UTC).date()
    _seed(database_url, today)
    environ = {"HIPCARE_DATABASE_URL": database_url}
    assert _run(["report", "--site", "harbour-childrens", "--json"], environ)[0] == 0
    export = ["registry-export", "--site", "harbour-childrens", "--output", str(tmp_path / "o")]
    assert _run(export, environ)[0] == 0
    assert _run(["report", "--site", "nowhere"], environ)[0] == 2
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT actor_id, action, entity_type, entity_id, command FROM audit_log "
                "WHERE command IS NOT NULL ORDER BY id"
            )
        ).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [
        (0, "site-report.read", "site", "harbour-childrens", "hipcare report"),
        (0, "registry.exported", "site", "harbour-childrens", "hipcare registry-export"),
    ]
