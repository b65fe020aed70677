"""``hipcare demo``: hipcare's main job on synthetic demo data, from the command line.

It measures a sample AP pelvis film (landmarks in ``hipcare/content/demo/film.json``), puts
the result into a synthetic child's surveillance history (``child.toml``) and prints the next
surveillance review with the rules that set it. Until the web application exists this is what
``./run demo`` runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import textwrap
import tomllib
from importlib import resources
from typing import Any

from hipcare.cli.command_io import CommandIO
from hipcare.domain.errors import InvalidInputError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``hipcare demo`` to the command line."""
    parser = subparsers.add_parser(
        "demo",
        help="measure a sample film and print the next surveillance review (synthetic data)",
        description=(
            "Measure a synthetic sample AP pelvis film and print the demo child's next hip "
            "surveillance review, with the rules that set it. All data is made up."
        ),
    )
    parser.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="the day to run the demo as (default: the computer's date)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(handler=handle)


def _months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month ``months`` earlier, clamped to the month's last day."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for candidate_day in range(day.day, 0, -1):
        try:
            return datetime.date(year, month + 1, candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")  # pragma: no cover


def _today(args: argparse.Namespace) -> datetime.date:
    if args.today is None:
        return datetime.datetime.now(datetime.UTC).date()
    try:
        return datetime.date.fromisoformat(args.today)
    except ValueError:
        raise InvalidInputError(
            "--today", f"{args.today!r} is not a date; use YYYY-MM-DD"
        ) from None


def _demo_files() -> tuple[dict[str, Any], dict[str, Any]]:
    folder = resources.files("hipcare.content").joinpath("demo")
    film = json.loads(folder.joinpath("film.json").read_text(encoding="utf-8"))
    child = tomllib.loads(folder.joinpath("child.toml").read_text(encoding="utf-8"))
    return film, child


def run_demo(today: datetime.date) -> dict[str, Any]:
    """Measure the demo film and plan the demo child's surveillance as of ``today``."""
    from hipcare.content.surveillance import load_surveillance_rules
    from hipcare.services.radiograph import compare_radiographs, measure_radiograph
    from hipcare.services.surveillance import surveillance_from_json

    film, child = _demo_files()
    measures = measure_radiograph(film)
    todays_percentages = {
        side: measures[side]["migration_percentage"] for side in ("right", "left")
    }
    visits = [
        {
            "date": _months_before(today, visit["months_ago"]).isoformat(),
            "xray": visit["xray"],
            "migration_percentage": visit["migration_percentage"],
        }
        for visit in child["visit"]
    ]
    visits.append(
        {"date": today.isoformat(), "xray": True, "migration_percentage": todays_percentages}
    )
    comparison = compare_radiographs(
        {
            "earlier": {
                "date": visits[-2]["date"],
                "migration_percentage": visits[-2]["migration_percentage"],
            },
            "later": {"date": today.isoformat(), "migration_percentage": todays_percentages},
        }
    )
    surveillance = surveillance_from_json(
        {
            "date_of_birth": _months_before(today, child["age_months"]).isoformat(),
            "gmfcs": child["gmfcs"],
            "gestation_weeks": child["gestation_weeks"],
            "today": today.isoformat(),
            "visits": visits,
        },
        load_surveillance_rules(),
    )
    return {
        "child": child["reference"],
        "gmfcs": child["gmfcs"],
        "today": today.isoformat(),
        "film": measures,
        "change_since_last_film": comparison,
        "surveillance": surveillance,
    }


def _wrap(text: str, indent: str = "    ") -> str:
    return textwrap.fill(text, width=92, initial_indent=indent, subsequent_indent=indent + "  ")


def _readable(result: dict[str, Any]) -> str:
    film = result["film"]
    surveillance = result["surveillance"]
    lines = [
        "hipcare demo — synthetic data, not a real patient. hipcare informs; it does not decide.",
        "",
        f"Child {result['child']}, GMFCS {result['gmfcs']}, seen {result['today']}.",
        "",
        "1. Today's AP pelvis film, measured from its landmarks",
    ]
    for side in ("right", "left"):
        hip = film[side]
        line = (
            f"    {side:>5} hip: migration percentage {hip['migration_percentage']:.1f}%"
            f" (raw {hip['migration_percentage_raw']:.1f}%),"
            f" acetabular index {hip['acetabular_index_deg']:.1f}°"
        )
        if "head_shaft_angle_deg" in hip:
            line += f", head-shaft angle {hip['head_shaft_angle_deg']:.1f}°"
        lines.append(line)
    lines.append(_wrap("How: " + film["method"]["migration_percentage"]))
    lines += ["", "2. Change since the last film"]
    for side in ("right", "left"):
        change = result["change_since_last_film"].get(side)
        if change is None:
            continue
        verdict = (
            "within measurement error"
            if change["within_measurement_error"]
            else "larger than measurement error"
        )
        lines.append(
            f"    {side:>5} hip: {change['change_percentage_points']:+.1f} points in"
            f" {change['interval_years']:.1f} years,"
            f" {change['velocity_percentage_points_per_year']:+.1f} points a year ({verdict})"
        )
    review = surveillance["next_review"] or "none (see below)"
    xray = "with an X-ray" if surveillance["xray_at_next_review"] else "without an X-ray"
    lines += ["", "3. Hip surveillance", f"    Next review: {review}, {xray}."]
    for action in surveillance["actions"]:
        lines.append(_wrap(f"- {action['text']}"))
    lines.append("    Rules used:")
    for rule in surveillance["rules"]:
        lines.append(_wrap(f"- [{rule['status']}] {rule['rule_id']}: {rule['source']}", "      "))
    if surveillance.get("to_be_confirmed_by_clinical_lead"):
        lines.append(_wrap("Rules marked local-protocol are to be confirmed by the clinical lead."))
    lines += [
        "",
        "Next: `hipcare plan --facts FILE` makes the family's dated plan; "
        "`hipcare booklet` prints it as a booklet.",
    ]
    return "\n".join(lines) + "\n"


def handle(args: argparse.Namespace, io: CommandIO) -> int:
    """Run the demo and print it, readable or as JSON."""
    result = run_demo(_today(args))
    if args.json:
        io.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    else:
        io.stdout.write(_readable(result))
    return 0
