"""``hipcare radiograph``: read a radiograph file, make a preview, draw a measurement overlay."""

from __future__ import annotations

import argparse
import os

from hipcare.domain.errors import InvalidInputError

# typing itself is not imported at run time: it costs the radiograph preview command
# 3 ms (ADR 0011). Type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import mmap
    from typing import Any

    from hipcare.cli.command_io import CommandIO
    from hipcare.interop.radiograph.film import Radiograph
    from hipcare.interop.radiograph.preview import PreviewFormat

__all__ = ["register"]

# The command caches nothing, so its previews need no cache key: computing one would hash
# the whole file (13 ms for a 15 MB film).
_NOT_CACHED = "not cached"

_DESCRIPTION = """\
Radiograph files: an AP pelvis film as DICOM (uncompressed, RLE, JPEG baseline and lossless,
JPEG-LS, JPEG 2000) or a PNG/JPEG photo of a film.

  info      what the file holds: size, pixel spacing, photometric interpretation, window,
            patient and study identifiers; with --child, warnings where the identifiers
            differ from the child's record (for the clinician to confirm)
  preview   a windowed 8-bit image fitted within --max-size pixels (.png or .jpg)
  overlay   the film with a saved measurement drawn on it: Hilgenreiner's and Perkin's
            lines, head edges, landmarks, migration percentage and acetabular index (PNG)

A file that is not such an image, or is cut short, is refused with one line naming the
problem (exit status 2)."""


def register(subparsers: Any) -> None:
    """Add ``hipcare radiograph`` and its three actions to the command line."""
    parser = subparsers.add_parser(
        "radiograph",
        help="radiograph files (DICOM, PNG, JPEG): identifiers, preview, measurement overlay",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", parser_class=type(parser), required=True
    )

    info = actions.add_parser(
        "info", help="what the file holds, as JSON (identifiers included: not for logs)"
    )
    info.add_argument("input", metavar="INPUT", help="DICOM, PNG or JPEG file")
    info.add_argument(
        "--child",
        metavar="FILE.json",
        help='the child\'s record: {"given_name", "family_name", "date_of_birth", '
        '"identifier"?}; adds "identifier_warnings"',
    )
    info.set_defaults(handler=handle_info)

    preview = actions.add_parser("preview", help="a windowed 8-bit PNG or JPEG of the film")
    preview.add_argument("input", metavar="INPUT", help="DICOM, PNG or JPEG file")
    preview.add_argument(
        "--output", required=True, metavar="OUT", help="where to write it (.png, .jpg or .jpeg)"
    )
    preview.add_argument(
        "--max-size",
        type=_max_size,
        default=1024,
        metavar="PX",
        help="longest side in pixels (default 1024; 0 keeps the film's size)",
    )
    preview.add_argument(
        "--window",
        nargs=2,
        type=float,
        metavar=("CENTRE", "WIDTH"),
        help="window centre and width in rescaled units (default: the file's, else min-max)",
    )
    preview.set_defaults(handler=handle_preview)

    overlay = actions.add_parser(
        "overlay", help="the film with a saved measurement's lines, landmarks and values (PNG)"
    )
    overlay.add_argument("input", metavar="INPUT", help="DICOM, PNG or JPEG file")
    overlay.add_argument(
        "--landmarks",
        required=True,
        metavar="FILE.json",
        help="the measurement's landmarks, as given to `hipcare measure`",
    )
    overlay.add_argument("--output", required=True, metavar="OUT.png", help="where to write it")
    overlay.add_argument(
        "--max-size",
        type=_max_size,
        default=1600,
        metavar="PX",
        help="longest side in pixels (default 1600; 0 keeps the film's size)",
    )
    overlay.set_defaults(handler=handle_overlay)


def _max_size(text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of pixels, got {text!r}"
        ) from None
    if value == 0:
        return None
    if value < 16:
        raise argparse.ArgumentTypeError(f"must be 16 pixels or more (or 0), got {value}")
    return value


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise _input_error(path, error) from None


def _map_file(path: str) -> bytes | mmap.mmap:
    """The file mapped into memory (read in place, no copy), or read when it cannot be
    mapped (empty, a pipe). Mapping spares the preview 15 MB of fresh memory (about 8 ms of
    page faults); a file cut short by someone else *while* it is being read would end the
    process with SIGBUS, a risk taken for a command that reads a finished file once."""
    import mmap

    try:
        with open(path, "rb") as file:
            try:
                return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            except (ValueError, OSError):
                return file.read()
    except OSError as error:
        raise _input_error(path, error) from None


def _input_error(path: str, error: OSError) -> InvalidInputError:
    if isinstance(error, FileNotFoundError):
        return InvalidInputError("input", f"file {path!r} does not exist")
    if isinstance(error, IsADirectoryError):
        return InvalidInputError("input", f"{path!r} is a folder; give a file")
    return InvalidInputError("input", f"cannot read {path!r}: {error.strerror}")


def _read_film(path: str) -> Radiograph:
    from hipcare.interop.radiograph.reader import read_radiograph

    return read_radiograph(_read_bytes(path))


def _output_format(path: str, allowed: tuple[str, ...]) -> PreviewFormat:
    from hipcare.interop.radiograph.preview import PreviewFormat

    suffix = _suffix(path).lower()
    if suffix not in allowed:
        raise InvalidInputError(
            "--output", f"give a file name ending {' or '.join(allowed)}, got {path!r}"
        )
    return PreviewFormat.PNG if suffix == ".png" else PreviewFormat.JPEG


def _suffix(path: str) -> str:
    """``pathlib.PurePath(path).suffix``, without importing pathlib (with ``urllib`` and
    ``ipaddress``, 4 ms of the preview command's start-up)."""
    name = os.path.basename(os.path.normpath(path))
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _write(path: str, data: bytes) -> None:
    try:
        with open(path, "wb") as file:
            file.write(data)
    except OSError as error:
        raise InvalidInputError("--output", f"cannot write {path!r}: {error.strerror}") from None


def handle_info(args: argparse.Namespace, io: CommandIO) -> int:
    """Print what the file holds as JSON, with identifier warnings when --child is given."""
    import json

    from hipcare.cli.command_io import read_json
    from hipcare.interop.radiograph.film import describe_radiograph
    from hipcare.interop.radiograph.identifiers import check_identifiers, child_identity_from_json

    child = (
        None if args.child is None else child_identity_from_json(read_json(args.child, io, "child"))
    )
    radiograph = _read_film(args.input)
    result = describe_radiograph(radiograph)
    if child is not None:
        result["identifier_warnings"] = [
            {"attribute": warning.attribute, "problem": warning.problem}
            for warning in check_identifiers(radiograph.identifiers, child)
        ]
    io.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


def handle_preview(args: argparse.Namespace, io: CommandIO) -> int:
    """Write a windowed, fitted preview and say its size on standard output.

    A plain uncompressed grey DICOM film takes the fast path (no numpy or pydicom to
    import, ADR 0009); any other file, and every error, the full reader. Both give the
    same bytes.
    """
    from hipcare.interop.radiograph.display import Window
    from hipcare.interop.radiograph.preview import native_preview

    image_format = _output_format(args.output, (".png", ".jpg", ".jpeg"))
    window = None if args.window is None else Window(*args.window)
    data = _map_file(args.input)
    preview = native_preview(
        data,
        max_size=args.max_size,
        image_format=image_format,
        window=window,
        cache_key=_NOT_CACHED,
    )
    if preview is None:
        from hipcare.interop.radiograph.preview import render_preview
        from hipcare.interop.radiograph.reader import read_radiograph

        preview = render_preview(
            read_radiograph(data[:]),
            max_size=args.max_size,
            image_format=image_format,
            window=window,
            cache_key=_NOT_CACHED,
        )
    _write(args.output, preview.data)
    io.stdout.write(
        f"{args.output}: {preview.width} x {preview.height} px {image_format.value.upper()}, "
        f"window {preview.window.centre:g}/{preview.window.width:g} "
        f"({preview.window.source.value})\n"
    )
    return 0


def handle_overlay(args: argparse.Namespace, io: CommandIO) -> int:
    """Write the film with the measurement drawn on it, and print the measures as JSON."""
    import json

    from hipcare.cli.command_io import read_json
    from hipcare.render.overlay import render_overlay
    from hipcare.services.radiograph import measure_radiograph, parse_film

    _output_format(args.output, (".png",))
    document = read_json(args.landmarks, io, "landmarks")
    radiograph = _read_film(args.input)
    landmarks, spacing = parse_film(document)
    overlay = render_overlay(
        radiograph, landmarks, spacing, measure_radiograph(document), max_size=args.max_size
    )
    _write(args.output, overlay.png)
    io.stdout.write(json.dumps(overlay.measures, indent=2, ensure_ascii=False) + "\n")
    return 0
