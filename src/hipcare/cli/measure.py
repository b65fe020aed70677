"""``hipcare measure``: radiograph measures from landmarks on an AP pelvis film."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hipcare.cli.command_io import CommandIO, read_json
from hipcare.services.radiograph import (
    HIP_LANDMARKS,
    PELVIS_LANDMARKS,
    compare_radiographs,
    measure_radiograph,
)

__all__ = ["register"]

_DESCRIPTION = f"""\
Measure a supine AP pelvis radiograph from landmarks placed on the image: Reimers migration
percentage (raw and clamped to 0-100, with a dislocated flag), acetabular index, and, when
their landmarks are given, neck-shaft angle, head-shaft angle and pelvic obliquity.

Input (JSON, from FILE or standard input); points are image pixels [x, y], y pointing down;
sides are the PATIENT's; pixel_spacing_mm is optional, [row, column] in mm as in DICOM:
  {{"landmarks": {{"triradiate_right": [x, y], "triradiate_left": [x, y],
                 "right": {{"acetabulum_lateral": [x, y], "head_medial": [x, y],
                           "head_lateral": [x, y]}},
                 "left": {{...}}}},
   "pixel_spacing_mm": [0.15, 0.15]}}
Landmarks of the pelvis: {", ".join(PELVIS_LANDMARKS)}.
Landmarks of each hip: {", ".join(HIP_LANDMARKS)}.
A side may be left out. Output: JSON with one object per hip, percent and degrees
rounded to 2 decimals, and how each measure was computed.

With --compare LATER, FILE is the earlier film and LATER the later one; both need a
"date" (YYYY-MM-DD). The output adds the change in migration percentage, its rate per
year, and whether the change is within measurement error (under 8.3 points)."""


def register(subparsers: Any) -> None:
    """Add ``hipcare measure`` to the command line."""
    parser = subparsers.add_parser(
        "measure",
        help="radiograph measures (migration percentage, acetabular index, ...) from landmarks",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="JSON landmarks of one film (default: standard input)",
    )
    parser.add_argument(
        "--compare",
        metavar="LATER",
        help="JSON landmarks of a later film of the same child, to report the change",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, io: CommandIO) -> int:
    """Measure one film, or two films and the change between them; print JSON."""
    earlier = read_json(args.file, io, "input")
    if args.compare is None:
        result = measure_radiograph(earlier)
    else:
        later = read_json(args.compare, io, "later")
        # Compare first: its errors name the film ("later.landmarks.right.head_lateral").
        change = compare_radiographs({"earlier": earlier, "later": later})
        result = {
            "earlier": measure_radiograph(earlier),
            "later": measure_radiograph(later),
            "change": change,
        }
    io.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0
