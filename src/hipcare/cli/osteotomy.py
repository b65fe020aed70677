"""``hipcare osteotomy``: blade-plate angles, derotation and shortening estimate for a VDRO."""

from __future__ import annotations

import argparse
import json
import math
import textwrap
from typing import Any

from hipcare.cli.command_io import CommandIO
from hipcare.domain.errors import InvalidInputError

__all__ = ["register"]

# Planner field -> the option a person typed, so an error names what they can fix.
_OPTIONS = {
    "neck_shaft_angle_deg": "--neck-shaft-angle",
    "target_neck_shaft_angle_deg": "--target-neck-shaft-angle",
    "plate_angle_deg": "--plate-angle",
    "anteversion_deg": "--anteversion",
    "target_anteversion_deg": "--target-anteversion",
    "neck_length_mm": "--neck-length-mm",
    "hinge_medial_offset_mm": "--hinge-medial-offset-mm",
    "hinge_distal_offset_mm": "--hinge-distal-offset-mm",
}

_DESCRIPTION = (
    "Plan the geometry of a varus derotation osteotomy (VDRO) with a blade plate: the wedge "
    "(correction), the chisel's angle to the neck and to the shaft, the derotation, and an "
    "estimate of limb shortening. Angles in degrees; varus positive; derotation positive when "
    "the distal fragment is turned outward. hipcare informs the surgeon; it does not decide."
)


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    """Add ``hipcare osteotomy`` to the command line."""
    parser = subparsers.add_parser(
        "osteotomy",
        help="VDRO planning geometry: correction, chisel angles, derotation, shortening",
        description=_DESCRIPTION,
    )
    angle = {"type": _finite_float, "metavar": "DEG"}
    length = {"type": _finite_float, "metavar": "MM"}
    parser.add_argument(
        "--neck-shaft-angle", required=True, help="neck-shaft angle before surgery", **angle
    )
    parser.add_argument(
        "--target-neck-shaft-angle",
        required=True,
        help="neck-shaft angle wanted after surgery (usually 110-120)",
        **angle,
    )
    parser.add_argument(
        "--plate-angle", required=True, help="angle of the blade plate (e.g. 90, 100)", **angle
    )
    parser.add_argument("--anteversion", help="femoral anteversion before surgery", **angle)
    parser.add_argument(
        "--target-anteversion", help="anteversion wanted after surgery (usually 0-15)", **angle
    )
    parser.add_argument(
        "--neck-length-mm",
        help="head centre to where the neck axis meets the shaft axis (default: assumed 40)",
        **length,
    )
    parser.add_argument(
        "--hinge-medial-offset-mm",
        help="osteotomy hinge, medial of the shaft axis; negative = lateral (default: assumed 8)",
        **length,
    )
    parser.add_argument(
        "--hinge-distal-offset-mm",
        help="osteotomy hinge, below where the neck axis meets the shaft (default: assumed 15)",
        **length,
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, io: CommandIO) -> int:
    """Plan the osteotomy from the options and print it as a table or as JSON."""
    from hipcare.content.osteotomy import load_osteotomy_rules
    from hipcare.services.osteotomy import plan_vdro

    values = {
        "neck_shaft_angle_deg": args.neck_shaft_angle,
        "target_neck_shaft_angle_deg": args.target_neck_shaft_angle,
        "plate_angle_deg": args.plate_angle,
        "anteversion_deg": args.anteversion,
        "target_anteversion_deg": args.target_anteversion,
        "neck_length_mm": args.neck_length_mm,
        "hinge_medial_offset_mm": args.hinge_medial_offset_mm,
        "hinge_distal_offset_mm": args.hinge_distal_offset_mm,
    }
    try:
        plan = plan_vdro(values, load_osteotomy_rules())
    except InvalidInputError as error:
        raise InvalidInputError(_OPTIONS.get(error.field, error.field), error.problem) from None
    if args.json:
        io.stdout.write(json.dumps(plan, ensure_ascii=False, indent=2) + "\n")
    else:
        io.stdout.write(render_table(plan))
    return 0


def _show(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:g}{unit}"


def render_table(plan: dict[str, Any]) -> str:
    """The plan as aligned text: contract values, then the notes, wrapped for a terminal."""
    rows = [
        ("correction_deg", _show(plan["correction_deg"], "°"), "NSA before - target NSA"),
        ("chisel_to_neck_deg", _show(plan["chisel_to_neck_deg"], "°"), "varus to the neck axis"),
        (
            "chisel_to_shaft_deg",
            _show(plan["chisel_to_shaft_deg"], "°"),
            "to the shaft, before the cut",
        ),
        (
            "derotation_deg",
            _show(plan["derotation_deg"], "°"),
            "+ = distal fragment turned outward"
            if plan["derotation_deg"] is not None
            else "give --anteversion and --target-anteversion",
        ),
        (
            "final_neck_shaft_angle_deg",
            _show(plan["final_neck_shaft_angle_deg"], "°"),
            "plate angle + chisel-to-neck",
        ),
        (
            "shortening_mm_estimate",
            _show(plan["shortening_mm_estimate"], " mm"),
            "estimate only, see notes",
        ),
    ]
    label_width = max(len(label) for label, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    lines = ["VDRO plan (blade plate)", ""]
    lines += [
        f"{label:<{label_width}}  {value:>{value_width}}  {comment}"
        for label, value, comment in rows
    ]
    lines += ["", "Notes:"]
    for note in plan["notes"]:
        lines += textwrap.wrap(note, width=96, initial_indent="- ", subsequent_indent="  ")
    lines += ["", "hipcare informs the surgeon; it does not decide."]
    return "\n".join(lines) + "\n"
