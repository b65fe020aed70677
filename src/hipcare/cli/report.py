"""``hipcare report``: a site's outcomes report (operations, stay, complications, hip
survival, surveillance coverage), as text or ``--json``.

``--site ID`` reads the database of ``HIPCARE_DATABASE_URL`` (default: the SQLite file in
``HIPCARE_DATA_DIR``); ``--demo`` reports on about 200 synthetic operations and needs no
database. What is computed, and from which sources: docs/outcomes.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hipcare.cli.command_io import CommandIO, empty_folder

if TYPE_CHECKING:
    from datetime import date

    from hipcare.domain.outcomes import SiteRecords
    from hipcare.domain.records import AuditAction

__all__ = ["register"]


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    """Add ``hipcare report`` to the command line."""
    parser = subparsers.add_parser(
        "report",
        help="a site's outcomes: stay, complications, hip survival, surveillance coverage",
        description=(
            "Report a site's outcomes on today's date (the clinic's day, HIPCARE_TIMEZONE): "
            "operations by procedure, length of stay (median and quartiles), complications by "
            "modified Clavien-Dindo-Sink grade, readmissions, migration percentage before and "
            "after per hip, hip survival (Kaplan-Meier with a 95%% confidence band) for VDRO "
            "alone and with a pelvic osteotomy, surveillance coverage of GMFCS III-V (a film "
            "in the last 12 months, as CPUP reports it) and children whose hip passed MP 40%% "
            "by GMFCS level. Counts only: no child is named."
        ),
    )
    add_source_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument(
        "--charts",
        metavar="DIR",
        help="also write the charts into DIR: SVG, a PNG and a PDF with the survival table",
    )
    parser.set_defaults(handler=handle)


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """``--site ID`` or ``--demo`` (shared with ``hipcare registry-export``)."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--site", metavar="ID", help="the site's id, from the configured database")
    source.add_argument(
        "--demo", action="store_true", help="about 200 synthetic operations (no database)"
    )
    parser.add_argument(
        "--seed", type=int, default=19, help="with --demo: the generator's seed (default 19)"
    )
    parser.add_argument("--date", help="report on this day (YYYY-MM-DD; default today)")


def report_day(args: argparse.Namespace, io: CommandIO) -> date:
    """``--date`` or the clinic's today; the entry point owns the clock."""
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from hipcare.domain.errors import InvalidInputError
    from hipcare.settings import Settings

    if args.date:
        try:
            return date.fromisoformat(args.date)
        except ValueError:
            raise InvalidInputError("--date", f"{args.date!r} is not YYYY-MM-DD") from None
    zone = ZoneInfo(Settings.from_environ(io.environ).timezone)
    return datetime.now(UTC).astimezone(zone).date()


def site_records(
    args: argparse.Namespace,
    io: CommandIO,
    today: date,
    *,
    command: str = "hipcare report",
    action: AuditAction | None = None,
) -> SiteRecords:
    """The demo's records, or the site's from the configured database; a site's read is
    audited with the command as its actor (``action``: default ``site-report.read``)."""
    if args.demo:
        from hipcare.services.outcomes_demo import demo_outcomes

        return demo_outcomes(today=today, seed=args.seed).records
    from hipcare.settings import Settings
    from hipcare.storage import create_database_engine, create_session_factory, upgrade_to_head
    from hipcare.storage.outcomes import SqlAlchemyOutcomeRecords

    settings = Settings.from_environ(io.environ)
    if settings.database_url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(settings.database_url)
    engine = create_database_engine(settings.database_url)
    from datetime import UTC, datetime

    from hipcare.domain.records import AuditAction as Action
    from hipcare.domain.records import EntityType
    from hipcare.services.access import audit_command_line
    from hipcare.storage import SqlAlchemyUnitOfWork

    try:
        sessions = create_session_factory(engine)
        records = SqlAlchemyOutcomeRecords(sessions).site_records(args.site)
        audit_command_line(
            SqlAlchemyUnitOfWork(sessions),
            command,
            action or Action.SITE_REPORT_READ,
            EntityType.SITE,
            args.site,
            datetime.now(UTC),
        )
        return records
    finally:
        engine.dispose()


def handle(args: argparse.Namespace, io: CommandIO) -> int:
    from hipcare.analysis.survival import KaplanMeierEstimator
    from hipcare.content.outcomes import load_outcome_content
    from hipcare.services.outcomes_report import ReportContent, build_site_report, report_document

    today = report_day(args, io)
    content = load_outcome_content()
    report = build_site_report(
        site_records(args, io, today),
        ReportContent(
            thresholds=content.thresholds,
            grade_descriptions=content.grade_descriptions,
            classification_source=content.classification_source,
            local_protocol_ids=content.local_protocol_ids,
        ),
        KaplanMeierEstimator(),
        today=today,
    )
    document = report_document(report)
    if args.charts:
        _write_charts(Path(args.charts), document)
    if args.json:
        json.dump(document, io.stdout, indent=2, ensure_ascii=False)
        io.stdout.write("\n")
        return 0
    io.stdout.write(_text(document))
    return 0


def _write_charts(folder: Path, document: dict[str, Any]) -> None:
    from hipcare.render.booklet_pdf import FONT_DIRECTORIES
    from hipcare.render.outcome_charts import (
        chart_png,
        charts_pdf,
        hip_survival_svg,
        migration_percentage_pairs_svg,
    )

    empty_folder(folder, option="--charts")
    (folder / "hip_survival.svg").write_text(
        hip_survival_svg(document["hip_survival"]), encoding="utf-8"
    )
    (folder / "migration_percentage.svg").write_text(
        migration_percentage_pairs_svg(document["migration_percentage_by_hip"]), encoding="utf-8"
    )
    (folder / "hip_survival.png").write_bytes(chart_png(document, FONT_DIRECTORIES))
    (folder / "report.pdf").write_bytes(charts_pdf(document, FONT_DIRECTORIES))


def _share(row: dict[str, Any]) -> str:
    share = row["share"]
    return "-" if share is None else f"{share:.0%} ({row['with_film_in_window']}/{row['children']})"


def _text(document: dict[str, Any]) -> str:
    stay = document["length_of_stay_days"]
    lines = [
        f"Outcomes report: site {document['site']} on {document['report_date']}",
        f"operations: {document['operations']} ("
        + ", ".join(
            f"{group} {count}" for group, count in document["operations_by_procedure"].items()
        )
        + ")",
        (
            "length of stay (days): not recorded"
            if stay["median"] is None
            else f"length of stay (days): median {stay['median']:g}, "
            f"quartiles {stay['q1']:g}-{stay['q3']:g} (n={stay['count']})"
        ),
        "complications by grade (modified Clavien-Dindo-Sink): "
        + ", ".join(
            f"{grade} {count}" for grade, count in document["complications_by_grade"].items()
        ),
        f"readmitted within {document['readmissions']['within_days']} days: "
        f"{document['readmissions']['readmitted']} of "
        f"{document['readmissions']['of_operations_with_discharge']}",
        f"returned to theatre: {document['returned_to_theatre']}; "
        f"re-operated: {document['reoperated']}; plates removed: {document['plates_removed']}",
        f"hips: {document['hips']['operated']} operated, {document['hips']['failed']} failed "
        "(MP > 50% or re-operation)",
        "hip survival (Kaplan-Meier, 95% confidence band):",
    ]
    for group in document["operations_by_procedure"]:
        points = [point for point in document["hip_survival"] if point["procedure"] == group]
        for years in (1, 2, 5, 10):
            at = [point for point in points if point["years"] <= years]
            if at and points[-1]["years"] >= years:
                point = at[-1]
                lines.append(
                    f"  {group} at {years} y: {point['survival']:.0%} "
                    f"({point['lower']:.0%}-{point['upper']:.0%})"
                )
    lines.append(
        f"surveillance coverage (GMFCS III-V, a film in the last "
        f"{document['surveillance_coverage_window_months']} months):"
    )
    for level, row in document["surveillance_coverage"].items():
        lines.append(f"  {level}: {_share(row)}")
    lines.append(
        f"children whose hip passed MP {document['migration_percentage_threshold']:g}% by GMFCS: "
        + ", ".join(
            f"{level} {count}"
            for level, count in document[
                "children_reached_migration_percentage_threshold_by_gmfcs"
            ].items()
        )
    )
    lines.append(
        "to be confirmed by the clinical lead: "
        + ", ".join(document["to_be_confirmed_by_the_clinical_lead"])
    )
    return "\n".join(lines) + "\n"
