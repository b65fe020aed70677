"""``hipcare fhir``: FHIR R4 export (NDJSON, Bulk Data style) and import, the pathway as a
PlanDefinition, and ``$apply`` for one child.

The command works on the database of ``HIPCARE_DATABASE_URL`` (default: the SQLite file in
``HIPCARE_DATA_DIR``), as the hipcare user named by ``--as EMAIL`` (default: the
``HIPCARE_ACTOR`` variable): that user's site memberships decide what may be read or
written, and every child exported or imported is audited under their id.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hipcare.cli.command_io import CommandIO, read_json, read_text
from hipcare.domain.errors import InvalidInputError

if TYPE_CHECKING:
    from hipcare.interop.fhir import codes
    from hipcare.services.ports import UnitOfWork

__all__ = ["register"]

_DESCRIPTION = (
    "Exchange hipcare's records with other hospital systems in HL7 FHIR R4: export children "
    "as NDJSON (one file per resource type, with a manifest, in the manner of FHIR Bulk "
    "Data) and one collection Bundle; import Patient and Observation bundles from another "
    "system; print the VDRO pathway as a PlanDefinition; apply it to one child."
)
_ACTOR_VARIABLE = "HIPCARE_ACTOR"


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    """Add ``hipcare fhir`` and its subcommands to the command line."""
    parser = subparsers.add_parser(
        "fhir", help="FHIR R4 export, import, PlanDefinition and $apply", description=_DESCRIPTION
    )
    commands = parser.add_subparsers(dest="fhir_command", metavar="SUBCOMMAND")
    parser.set_defaults(handler=_missing_subcommand)

    export = commands.add_parser(
        "export",
        help="children's records as FHIR NDJSON files and a Bundle",
        description=(
            "Write the records of one child, one site, or every site the user belongs to "
            "into DIR: <ResourceType>.ndjson files, bundle.json (all of them as one "
            "collection Bundle) and manifest.json. --demo builds synthetic demo records in a "
            "throw-away database and exports those. A progress bar goes to standard error."
        ),
    )
    scope = export.add_mutually_exclusive_group(required=True)
    scope.add_argument("--child", type=int, metavar="ID", help="one child, by hipcare id")
    scope.add_argument("--site", metavar="ID", help="every child of one site")
    scope.add_argument(
        "--all", action="store_true", help="every child of every site the user belongs to"
    )
    scope.add_argument(
        "--demo", action="store_true", help="synthetic demo records in a throw-away database"
    )
    export.add_argument(
        "--output", required=True, metavar="DIR", help="a new or empty folder to write into"
    )
    export.add_argument(
        "--demo-children",
        type=int,
        metavar="N",
        help="with --demo: N generated children instead of the app's demo (a large site)",
    )
    export.add_argument(
        "--booklets",
        action="store_true",
        help="add each started care plan's family booklet (PDF, the child's language) "
        "as a DocumentReference",
    )
    _add_actor(export)
    export.set_defaults(handler=_export)

    importer = commands.add_parser(
        "import",
        help="Patients and Observations (measures) from another system",
        description=(
            "Import a FHIR Bundle (JSON) or NDJSON file: Patients (with RelatedPersons as "
            "family contacts) and Observations of hip measures and the GMFCS level. One "
            "transaction: each resource is imported whole or rejected, and the report (JSON "
            "on standard output) lists every rejection with its index and reason. Importing "
            "the same file again updates, never duplicates (identifiers)."
        ),
    )
    importer.add_argument("file", metavar="FILE", help="Bundle JSON or NDJSON ('-' for stdin)")
    importer.add_argument(
        "--site", metavar="ID", help="site for Patients that do not name a hipcare site"
    )
    _add_actor(importer)
    importer.set_defaults(handler=_import)

    definition = commands.add_parser(
        "plan-definition",
        help="the VDRO pathway as a PlanDefinition with ActivityDefinitions",
        description="Print the VDRO pathway as a Bundle: PlanDefinition + ActivityDefinitions.",
    )
    definition.set_defaults(handler=_plan_definition)

    apply = commands.add_parser(
        "apply",
        help="PlanDefinition/$apply: a child's CarePlan and Tasks from their facts",
        description=(
            "Apply the VDRO PlanDefinition to one child: print a Bundle with the CarePlan and "
            "one Task per item, the same items and dates as 'hipcare plan' for these facts. "
            "--booklet adds the family booklet PDF as a DocumentReference."
        ),
    )
    apply.add_argument("--facts", required=True, metavar="FILE", help="facts JSON ('-': stdin)")
    apply.add_argument(
        "--patient", required=True, metavar="REF", help="the Patient, e.g. Patient/child-12"
    )
    apply.add_argument("--lang", metavar="CODE", help="language (default: the facts' language)")
    apply.add_argument(
        "--booklet", action="store_true", help="add the family booklet (PDF) as DocumentReference"
    )
    apply.set_defaults(handler=_apply)


def _add_actor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="actor",
        metavar="EMAIL",
        help=f"the hipcare user to act as (default: ${_ACTOR_VARIABLE})",
    )


def _missing_subcommand(args: argparse.Namespace, io: CommandIO) -> int:
    raise InvalidInputError("subcommand", "give one of: export, import, plan-definition, apply")


# --- wiring ----------------------------------------------------------------------------------


def _clock(environ: Mapping[str, str]) -> tuple[datetime.datetime, datetime.date]:
    """Now (UTC) and the clinic's today; the entry point owns the clock."""
    from zoneinfo import ZoneInfo

    from hipcare.settings import Settings

    now = datetime.datetime.now(datetime.UTC)
    return now, now.astimezone(ZoneInfo(Settings.from_environ(environ).timezone)).date()


def _unit_of_work(database_url: str) -> UnitOfWork:
    from hipcare.storage import (
        SqlAlchemyUnitOfWork,
        create_database_engine,
        create_session_factory,
        upgrade_to_head,
    )

    upgrade_to_head(database_url)
    return SqlAlchemyUnitOfWork(create_session_factory(create_database_engine(database_url)))


def _actor_id(uow: UnitOfWork, args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    email = args.actor or environ.get(_ACTOR_VARIABLE, "").strip()
    if not email:
        raise InvalidInputError(
            "--as", f"name the hipcare user to act as (--as EMAIL or ${_ACTOR_VARIABLE})"
        )
    with uow:
        user = uow.users.by_email(email)
    if user is None or user.id is None:
        raise InvalidInputError("--as", f"no hipcare user has the email {email!r}")
    return user.id


@contextmanager
def _database(args: argparse.Namespace, io: CommandIO) -> Iterator[tuple[UnitOfWork, int]]:
    """The unit of work and the acting user: the configured database, or a demo one."""
    if getattr(args, "demo", False):
        now, today = _clock(io.environ)
        with tempfile.TemporaryDirectory(prefix="hipcare-fhir-demo-") as folder:
            uow = _unit_of_work(f"sqlite:///{Path(folder) / 'demo.sqlite3'}")
            yield uow, _seed(uow, args.demo_children, today=today, now=now)
        return
    from hipcare.settings import Settings

    settings = Settings.from_environ(io.environ)
    if settings.database_url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    uow = _unit_of_work(settings.database_url)
    yield uow, _actor_id(uow, args, io.environ)


def _seed(
    uow: UnitOfWork, children: int | None, *, today: datetime.date, now: datetime.datetime
) -> int:
    """Seed the throw-away database; return the id of a demo user of every demo site.

    Without a count: the web app's demo (``hipcare.services.demo_seed``, a dozen children at
    every stage of the journey). With one: that many generated children
    (``hipcare.services.fhir_demo``), to try a large site.
    """
    from hipcare.bootstrap import load_content

    if children is not None:
        from hipcare.services.fhir_demo import seed_demo as seed_many

        if children < 1:
            raise InvalidInputError("--demo-children", "must be at least 1")
        return seed_many(uow, today=today, children=children, content=load_content())
    from hipcare.services.demo_seed import seed_demo

    report = seed_demo(uow, today=today, now=now, content=load_content())
    every_site = max(report.accounts, key=lambda account: len(account.site_ids))
    with uow:
        user = uow.users.by_email(every_site.email)
    if user is None or user.id is None:  # pragma: no cover -- the seed just added them
        raise InvalidInputError("--demo", "the demo seed added no user")
    return user.id


# --- export ----------------------------------------------------------------------------------


class _Progress:
    """A progress bar on a terminal (``\\r[#####     ] 52% 26/50``), else a line per 10%."""

    _WIDTH = 30

    def __init__(self, total: int, stream: TextIO) -> None:
        self._total = total
        self._stream = stream
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last_tenth = 0

    def update(self, done: int) -> None:
        if self._total < 2:
            return
        fraction = done / self._total
        if self._tty:
            filled = round(self._WIDTH * fraction)
            bar = "#" * filled + " " * (self._WIDTH - filled)
            end = "\n" if done == self._total else ""
            self._stream.write(f"\r[{bar}] {fraction:4.0%} {done}/{self._total} children{end}")
            self._stream.flush()
            return
        tenth = int(fraction * 10)
        if tenth > self._last_tenth or done == self._total:
            self._last_tenth = tenth
            self._stream.write(f"exported {done} of {self._total} children ({fraction:.0%})\n")


def _empty_folder(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise InvalidInputError("--output", f"{str(path)!r} is a file; give a folder")
    if path.is_dir() and any(path.iterdir()):
        raise InvalidInputError(
            "--output", f"{str(path)!r} is not empty; give a new or empty folder"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidInputError(
            "--output", f"cannot create {str(path)!r}: {error.strerror}"
        ) from None
    return path


def _local_identifiers(environ: Mapping[str, str]) -> codes.LocalIdentifiers:
    """This installation's base URL and identifier systems (``HIPCARE_FHIR_BASE_URL``)."""
    from hipcare.interop.fhir import codes
    from hipcare.settings import Settings

    return codes.LocalIdentifiers.from_base_url(Settings.from_environ(environ).fhir_base_url)


def _export(args: argparse.Namespace, io: CommandIO) -> int:
    from hipcare.bootstrap import load_content
    from hipcare.interop.fhir import definitions, diary, mapping, plan_definition
    from hipcare.services.fhir import children_to_export, export_child, export_diary

    local = _local_identifiers(io.environ)
    folder = _empty_folder(Path(args.output))
    content = load_content()
    pathway = content.pathway
    thresholds = content.outcome_content.thresholds
    now, _ = _clock(io.environ)
    with _database(args, io) as (uow, actor):
        child_ids = children_to_export(uow, actor, child_id=args.child, site_id=args.site, now=now)
        progress = _Progress(len(child_ids), io.stderr)
        organizations: dict[str, dict[str, Any]] = {}
        resources: list[dict[str, Any]] = []
        for done, child_id in enumerate(child_ids, start=1):
            record = export_child(uow, actor, child_id, now=now, thresholds=thresholds)
            organizations.setdefault(record.site.id, mapping.organization(record.site, local))
            resources += mapping.child_resources(record, pathway, local)
            for entry_id, entry in export_diary(uow, actor, child_id, now=now):
                resources += diary.diary_resources(entry, entry_id)
            if args.booklets:
                resources += _booklets(record, now)
            progress.update(done)
    everything = [
        *organizations.values(),
        *resources,
        plan_definition.plan_definition(pathway),
        *plan_definition.activity_definitions(pathway),
        *diary.diary_questionnaires(),
        *definitions.definition_resources(pathway),
    ]
    outputs = []
    for resource_type, of_type in sorted(mapping.by_type(everything).items()):
        name = f"{resource_type}.ndjson"
        lines = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in of_type)
        (folder / name).write_text(lines, encoding="utf-8")
        outputs.append({"type": resource_type, "url": name, "count": len(of_type)})
    stamp = now.isoformat(timespec="seconds")
    document = mapping.bundle(
        everything, timestamp=stamp, bundle_id="hipcare-export", base_url=local.base_url
    )
    (folder / "bundle.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    manifest = {
        "transactionTime": stamp,
        "request": _request(args, local.base_url),
        "requiresAccessToken": False,
        "output": outputs,
        "error": [],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    io.stdout.write(
        f"wrote {len(everything)} resources of {len(outputs)} types for {len(child_ids)} "
        f"children to {folder}\n"
    )
    return 0


def _booklets(record: Any, now: datetime.datetime) -> list[dict[str, Any]]:
    """One DocumentReference per started care plan: the booklet in the child's language."""
    from hipcare.bootstrap import load_content
    from hipcare.interop.fhir.mapping import patient_id
    from hipcare.interop.fhir.plan_definition import booklet_document_reference
    from hipcare.render.booklet_pdf import default_pdf_renderer
    from hipcare.services.booklet import build_booklet_view

    documents = []
    for operation in record.operations:
        # The booklet goes with its care plan: none for an operation whose pathway is not
        # started or that has no CarePlan in the export (a postponed one without items).
        if operation.facts is None or not operation.items:
            continue
        words = load_content().words(operation.facts.language)
        view = build_booklet_view(
            operation.facts, words, printed_on=now.date(), content=load_content()
        )
        documents.append(
            booklet_document_reference(
                default_pdf_renderer().render(view),
                document_id=f"operation-{operation.plan.id}-booklet-{words.code}",
                language=words.code,
                title=words.gettext(load_content().pathway.title),
                patient_reference=f"Patient/{patient_id(record.child.id)}",
                created=now.isoformat(timespec="seconds"),
            )
        )
    return documents


def _request(args: argparse.Namespace, base_url: str) -> str:
    """The Bulk Data kick-off URL this export answers, as a FHIR server would take it
    (``[base]/Patient/$export``, ``[base]/Group/{site}/$export``), on this installation's base
    URL; one child is ``[base]/Patient/$export?patient=Patient/child-{id}``."""
    from urllib.parse import quote

    if args.child is not None:
        return f"{base_url}/Patient/$export?patient=Patient/child-{args.child}"
    if args.site is not None:
        return f"{base_url}/Group/site-{quote(args.site, safe='')}/$export"
    return f"{base_url}/Patient/$export"


# --- import ----------------------------------------------------------------------------------


def _json_value(text: str, where: str) -> Any:
    """One JSON value, or a one-line error (broken JSON, or nesting too deep to parse)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputError(
            "file",
            f"{where}not valid JSON at line {error.lineno} column {error.colno}: {error.msg}",
        ) from None
    except RecursionError:
        raise InvalidInputError(
            "file", f"{where}nested too deeply to read; no FHIR bundle is; is the file damaged?"
        ) from None


def _read_import_file(path: str, io: CommandIO) -> Any:
    # A byte-order mark is how some Windows tools begin a UTF-8 file; it is not JSON.
    text = read_text(path, io, "file").removeprefix("\ufeff")
    if not path.endswith(".ndjson"):
        if not text.strip():
            raise InvalidInputError("file", f"{path!r} is empty; expected a FHIR Bundle")
        return _json_value(text, "")
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        entries.append({"resource": _json_value(line, f"line {number} is ")})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _import(args: argparse.Namespace, io: CommandIO) -> int:
    from hipcare.bootstrap import load_content
    from hipcare.interop.fhir.reading import read_bundle
    from hipcare.services.fhir import import_records
    from hipcare.settings import Settings

    local = _local_identifiers(io.environ)
    trusted = Settings.from_environ(io.environ).fhir_trusted_systems
    contents = read_bundle(_read_import_file(args.file, io), default_site=args.site, local=local)
    now, today = _clock(io.environ)
    with _database(args, io) as (uow, actor):
        report = import_records(
            uow,
            actor,
            contents.patients,
            contents.contacts,
            contents.measures,
            contents.rejected,
            today=today,
            now=now,
            rules=load_content().surveillance_rules,
            trusted_systems=None if trusted is None else trusted | {local.child},
        )
    document = report.as_document()
    document["skipped"] = [
        {"index": item.index, "resource_type": item.resource_type} for item in contents.skipped
    ]
    json.dump(document, io.stdout, indent=2)
    io.stdout.write("\n")
    return 0


# --- PlanDefinition and $apply ---------------------------------------------------------------

#: A FHIR resource id (R4 ``id`` datatype): 1-64 of A-Z a-z 0-9 - .
_RESOURCE_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def _check_patient_reference(reference: object) -> None:
    """``Patient/<id>`` with a valid FHIR id, or exit 2 naming ``--patient``."""
    example = "such as Patient/child-12"
    if not isinstance(reference, str) or not reference.startswith("Patient/"):
        raise InvalidInputError("--patient", f"must be a Patient reference {example}")
    resource_id = reference.removeprefix("Patient/")
    if not resource_id:
        raise InvalidInputError(
            "--patient", f"names no Patient id after 'Patient/'; give one {example}"
        )
    if _RESOURCE_ID.fullmatch(resource_id) is None:
        raise InvalidInputError(
            "--patient",
            f"{resource_id[:70]!r} is not a FHIR id (1-64 letters, digits, '-' or '.'); "
            f"give one {example}",
        )


def _plan_definition(args: argparse.Namespace, io: CommandIO) -> int:
    from hipcare.content.pathway import load_pathway
    from hipcare.interop.fhir.plan_definition import knowledge_bundle

    pathway = load_pathway()
    json.dump(knowledge_bundle(pathway, pathway.title), io.stdout, ensure_ascii=False, indent=1)
    io.stdout.write("\n")
    return 0


def _apply(args: argparse.Namespace, io: CommandIO) -> int:
    from hipcare.bootstrap import load_content
    from hipcare.content.pathway import load_pathway
    from hipcare.interop.fhir.mapping import bundle
    from hipcare.interop.fhir.plan_definition import apply_plan, booklet_document_reference
    from hipcare.services.pathway import (
        make_plan,
        parse_facts,
        plan_entries,
        plan_identity,
        plan_language,
    )

    _check_patient_reference(args.patient)
    facts = parse_facts(read_json(args.facts, io, "facts"), content=load_content())
    plan = make_plan(facts, content=load_content())
    words = plan_language(plan, args.lang, content=load_content())
    pathway = load_pathway()
    resources = apply_plan(
        pathway,
        plan_entries(plan, words),
        patient_reference=args.patient,
        plan_identity=plan_identity(facts),
        language=words.code,
        surgery_date=plan.surgery_date,
    )
    if args.booklet:
        from hipcare.render.booklet_pdf import default_pdf_renderer
        from hipcare.services.booklet import build_booklet_view

        now, today = _clock(io.environ)
        view = build_booklet_view(facts, words, printed_on=today, content=load_content())
        pdf = default_pdf_renderer().render(view)
        resources.append(
            booklet_document_reference(
                pdf,
                document_id=f"{resources[0]['id']}-booklet-{words.code}",
                language=words.code,
                title=words.gettext(pathway.title),
                patient_reference=args.patient,
                created=now.isoformat(timespec="seconds"),
            )
        )
    base_url = _local_identifiers(io.environ).base_url
    json.dump(bundle(resources, base_url=base_url), io.stdout, ensure_ascii=False, indent=1)
    io.stdout.write("\n")
    return 0
