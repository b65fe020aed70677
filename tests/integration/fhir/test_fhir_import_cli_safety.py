"""``hipcare fhir import``: conflicts listed, byte-order marks read, deep files refused."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from fhir_support import OpenUnitOfWork

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.domain.records import Profession, Role, Site, User
from hipcare.interop.fhir import codes

HARBOUR = "harbour-childrens"


def _run(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, environ, io=CommandIO(io.StringIO(), out, err, environ))
    return status, out.getvalue(), err.getvalue()


def _database(tmp_path: Path, unit_of_work: OpenUnitOfWork) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'h.sqlite3'}"
    uow = unit_of_work(url)
    with uow:
        uow.sites.add(Site(HARBOUR, "Harbour Children's Hospital"))
        uow.users.add(
            User("nurse@example.org", "Ben Nurse", Role.CLINICIAN, Profession.NURSE, {HARBOUR})
        )
        uow.commit()
    return {"HIPCARE_DATABASE_URL": url, "HIPCARE_ACTOR": "nurse@example.org"}


def _bundle(family: str, given: str, born: str) -> dict[str, Any]:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "https://emr.example.net/patient-id", "value": "1"}],
        "name": [{"family": family, "given": [given]}],
        "birthDate": born,
        "managingOrganization": {"identifier": {"system": codes.IDENTIFIER_SITE, "value": HARBOUR}},
    }
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}


def test_import_lists_a_patient_of_another_name_as_a_conflict_and_changes_nothing(
    tmp_path: Path, unit_of_work: OpenUnitOfWork
) -> None:
    environ = _database(tmp_path, unit_of_work)
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps(_bundle("Karimi", "Sara", "2019-05-04")), encoding="utf-8")
    second.write_text(json.dumps(_bundle("Haddad", "Ali", "2019-05-05")), encoding="utf-8")
    assert _run(["fhir", "import", str(first)], environ)[0] == 0

    status, out, err = _run(["fhir", "import", str(second)], environ)

    assert status == 0, err
    report = json.loads(out)
    assert report["children"]["updated"] == []
    (conflict,) = report["conflicts"]
    assert (conflict["index"], conflict["resource_type"], conflict["id"]) == (0, "Patient", "p1")
    assert "differ" in conflict["reason"]
    with unit_of_work(environ["HIPCARE_DATABASE_URL"]) as uow:
        (child,) = uow.children.at_site(HARBOUR)
    assert (child.family_name, child.given_name, child.date_of_birth.isoformat()) == (
        "Karimi",
        "Sara",
        "2019-05-04",
    )


def test_import_reads_a_file_that_starts_with_a_utf8_byte_order_mark(
    tmp_path: Path, unit_of_work: OpenUnitOfWork
) -> None:
    environ = _database(tmp_path, unit_of_work)
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_bundle("Lee", "Mo", "2020-01-01")).encode())
    status, out, err = _run(["fhir", "import", str(path)], environ)
    assert status == 0, err
    assert len(json.loads(out)["children"]["created"]) == 1


def test_a_deeply_nested_file_is_refused_in_one_line(tmp_path: Path) -> None:
    for depth in (200, 100_000):
        path = tmp_path / f"deep-{depth}.json"
        nested = '{"x":' * depth + "1" + "}" * depth
        path.write_text('{"resourceType": "Bundle", "entry": [' + nested + "]}", encoding="utf-8")
        status, out, err = _run(["fhir", "import", str(path)], {})
        assert status == 2
        assert out == ""
        assert err.count("\n") == 1
        assert "nested" in err


def test_a_language_hipcare_has_no_text_for_is_kept_as_given(
    tmp_path: Path, unit_of_work: OpenUnitOfWork
) -> None:
    """A single communication without ``preferred`` is still the family's language."""
    environ = _database(tmp_path, unit_of_work)
    document = _bundle("Garcia", "Lucia", "2020-03-03")
    document["entry"][0]["resource"]["communication"] = [
        {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}}
    ]
    path = tmp_path / "es.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    status, _, err = _run(["fhir", "import", str(path)], environ)
    assert status == 0, err
    with unit_of_work(environ["HIPCARE_DATABASE_URL"]) as uow:
        (child,) = uow.children.at_site(HARBOUR)
    assert child.preferred_language == "es"
