"""``hipcare radiograph``: read a radiograph file, make a preview, draw a measurement overlay,
pull a child's films from the hospital's PACS (DICOMweb)."""

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

  pull      films from the hospital's PACS (HIPCARE_DICOMWEB_URL) onto a child's record:
            searched by the child's hospital number (QIDO-RS) and --date, or the series
            named by --study/--series, retrieved (WADO-RS) and checked as an upload is;
            works on the database of HIPCARE_DATABASE_URL as the user --as EMAIL
            (default $HIPCARE_ACTOR). Prints JSON; exit status 1 when an image was
            refused (another patient's identifiers)

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

    pull = actions.add_parser(
        "pull",
        help="pull a child's films from the PACS (DICOMweb) onto their record, as JSON",
        description="Search the PACS by the child's hospital number and --date, or name the "
        "series with --study and --series, and keep each image on the child's record with "
        "the upload's identifier check. Exit status 0: every image kept; 1: some image "
        'refused (listed under "refused"); 2: bad input, or the PACS could not be asked.',
    )
    pull.add_argument("--child", required=True, type=_record_id, metavar="ID", help="child id")
    pull.add_argument("--study", metavar="UID", help="Study Instance UID")
    pull.add_argument(
        "--series", metavar="UID", help="Series Instance UID (with --study): that series only"
    )
    pull.add_argument(
        "--date", metavar="YYYY-MM-DD", help="the study date: every series of that day"
    )
    pull.add_argument(
        "--as",
        dest="actor",
        metavar="EMAIL",
        help=f"the hipcare user (a clinician) to act as (default: ${_ACTOR_VARIABLE})",
    )
    pull.set_defaults(handler=handle_pull)


_ACTOR_VARIABLE = "HIPCARE_ACTOR"


def _record_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a record id (a whole number), got {text!r}")
    return int(text)


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


def _pacs_from(environ: Any) -> Any:
    """The DICOMweb adapter for ``HIPCARE_DICOMWEB_*`` (the command's wiring)."""
    from hipcare.interop.dicomweb import DicomWebPacs
    from hipcare.settings import Settings

    found = Settings.from_environ(environ).dicomweb
    if found is None:
        raise InvalidInputError(
            "HIPCARE_DICOMWEB_URL", "is not set: name the PACS's DICOMweb address to pull from"
        )
    return DicomWebPacs(
        found.url,
        username=found.username,
        password=found.password,
        token=found.token,
        timeout_seconds=found.timeout_seconds,
    )


def _unit_of_work_and_actor(args: argparse.Namespace, io: CommandIO) -> tuple[Any, int]:
    from hipcare.settings import Settings
    from hipcare.storage import (
        SqlAlchemyUnitOfWork,
        create_database_engine,
        create_session_factory,
        upgrade_to_head,
    )

    email = args.actor or io.environ.get(_ACTOR_VARIABLE, "").strip()
    if not email:
        raise InvalidInputError(
            "--as", f"name the hipcare user to act as (--as EMAIL or ${_ACTOR_VARIABLE})"
        )
    settings = Settings.from_environ(io.environ)
    if settings.database_url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(settings.database_url)
    uow = SqlAlchemyUnitOfWork(
        create_session_factory(create_database_engine(settings.database_url))
    )
    with uow:
        user = uow.users.by_email(email)
    if user is None or user.id is None:
        raise InvalidInputError("--as", f"no hipcare user has the email {email!r}")
    return uow, user.id


def handle_pull(args: argparse.Namespace, io: CommandIO) -> int:
    """Pull the chosen series (or every series of --date) and print what was kept as JSON."""
    import datetime
    import json
    from zoneinfo import ZoneInfo

    from hipcare.interop.radiograph.upload import read_uploaded_film
    from hipcare.services.json_input import parse_date
    from hipcare.services.pacs import parse_uid, pull_series, search_pacs
    from hipcare.settings import Settings

    if args.series is not None and args.study is None:
        raise InvalidInputError("--series", "give --study too: a series is found in its study")
    if args.study is None and args.date is None:
        raise InvalidInputError("--date", "give --date, or --study (and --series)")
    study = None if args.study is None else parse_uid(args.study, "--study")
    series_uid = None if args.series is None else parse_uid(args.series, "--series")
    if args.date is not None:
        parse_date(args.date, "--date")
    pacs = _pacs_from(io.environ)
    uow, actor = _unit_of_work_and_actor(args, io)
    now = datetime.datetime.now(datetime.UTC)
    today = now.astimezone(ZoneInfo(Settings.from_environ(io.environ).timezone)).date()
    if study is not None and series_uid is not None and args.date is None:
        chosen = [(study, series_uid)]
    else:
        found = search_pacs(uow, actor, args.child, study_date=args.date, now=now, pacs=pacs)
        chosen = [
            (series.study_uid, series.series_uid)
            for series in found.series
            if study in (None, series.study_uid) and series_uid in (None, series.series_uid)
        ]
        if not chosen:
            raise InvalidInputError(
                "--date" if study is None else "--study",
                "the PACS holds no such series under the child's hospital number",
            )
    results = []
    refused_any = False
    for one_study, one_series in chosen:
        pulled = pull_series(
            uow,
            actor,
            args.child,
            study_uid=one_study,
            series_uid=one_series,
            today=today,
            now=now,
            pacs=pacs,
            read=read_uploaded_film,
        )
        refused_any = refused_any or bool(pulled.refused)
        found_date = pulled.series.study_date
        results.append(
            {
                "study_uid": one_study,
                "series_uid": one_series,
                "study_date": None if found_date is None else found_date.isoformat(),
                "modality": pulled.series.modality,
                "description": pulled.series.description,
                "stored": [
                    {"radiograph_id": film.id, "film_date": film.film_date.isoformat()}
                    for film in pulled.stored
                ],
                "refused": [
                    {"image": item.image, "reason": item.reason, "warnings": list(item.warnings)}
                    for item in pulled.refused
                ],
            }
        )
    document = {"child_id": args.child, "series": results}
    io.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return 1 if refused_any else 0
