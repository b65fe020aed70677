"""``hipcare fhir``: export and import through the command line, in-process and as a process."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from fhir_checks import validate, validate_bundle
from fhir_support import OpenUnitOfWork

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.domain.records import Profession, Role, Site, User

HIPCARE = Path(sys.executable).with_name("hipcare")
DEMO_CHILDREN = Path(__file__).resolve().parents[3] / "src/hipcare/content/demo/children.toml"


def _run(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, environ, io=CommandIO(io.StringIO(), out, err, environ))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """``hipcare fhir export --demo`` run once for this module: folder, stdout, stderr."""
    output = tmp_path_factory.mktemp("demo") / "export"
    status, out, err = _run(["fhir", "export", "--demo", "--output", str(output)], {})
    assert status == 0, err
    return output, out, err


def test_demo_export_writes_valid_ndjson_per_type_a_bundle_and_a_manifest(
    demo_export: tuple[Path, str, str],
) -> None:
    output, out, err = demo_export
    demo_children = len(tomllib.loads(DEMO_CHILDREN.read_text(encoding="utf-8"))["child"])
    assert f"for {demo_children} children" in out
    # Progress lines when standard error is not a terminal.
    assert f"exported {demo_children} of {demo_children} children (100%)" in err
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    counted = 0
    for item in manifest["output"]:
        lines = (output / item["url"]).read_text(encoding="utf-8").splitlines()
        assert len(lines) == item["count"]
        for line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == item["type"]
            validate(resource)
        counted += item["count"]
    document = json.loads((output / "bundle.json").read_text(encoding="utf-8"))
    assert len(document["entry"]) == counted
    validate_bundle(document, entries=False)  # each entry was validated line by line above


def test_export_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("x", encoding="utf-8")
    status, out, err = _run(["fhir", "export", "--demo", "--output", str(tmp_path)], {})
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "--output: " in err
    assert "not empty" in err


def test_export_needs_a_user_to_act_as(tmp_path: Path) -> None:
    environ = {"HIPCARE_DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite3'}"}
    status, _, err = _run(["fhir", "export", "--all", "--output", str(tmp_path / "o")], environ)
    assert status == 2
    assert err.startswith("hipcare fhir: error: --as: ")


def test_export_needs_exactly_one_scope(tmp_path: Path) -> None:
    status, _, err = _run(["fhir", "export", "--all", "--site", "x", "--output", str(tmp_path)], {})
    assert status == 2
    assert "not allowed with argument" in err


def test_import_of_a_demo_export_into_the_configured_database_and_again(
    tmp_path: Path, unit_of_work: OpenUnitOfWork, demo_export: tuple[Path, str, str]
) -> None:
    output = demo_export[0]
    url = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    uow = unit_of_work(url)
    with uow:
        uow.sites.add(Site("harbour-childrens", "Harbour Children's Hospital"))
        uow.sites.add(Site("northern-regional", "Northern Regional Kids Health"))
        uow.users.add(
            User(
                "nurse@example.org",
                "Ben Nurse",
                Role.CLINICIAN,
                Profession.NURSE,
                frozenset({"harbour-childrens", "northern-regional"}),
            )
        )
        uow.commit()
    environ = {"HIPCARE_DATABASE_URL": url, "HIPCARE_ACTOR": "nurse@example.org"}

    status, out, err = _run(["fhir", "import", str(output / "bundle.json")], environ)
    assert status == 0, err
    first = json.loads(out)
    assert first["rejected"] == []
    exported = (output / "Patient.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(first["children"]["created"]) == len(exported)
    assert {item["resource_type"] for item in first["skipped"]} >= {"Organization", "Task"}

    status, out, err = _run(["fhir", "import", str(output / "bundle.json")], environ)
    second = json.loads(out)
    assert second["children"]["unchanged"] == first["children"]["created"]
    assert second["visits"]["created"] == []

    export_again = tmp_path / "again"
    status, out, err = _run(["fhir", "export", "--all", "--output", str(export_again)], environ)
    assert status == 0, err
    patients = (export_again / "Patient.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(patients) == len(first["children"]["created"])


def test_import_reads_ndjson_and_reports_each_rejection(
    tmp_path: Path, unit_of_work: OpenUnitOfWork
) -> None:
    url = f"sqlite:///{tmp_path / 'h.sqlite3'}"
    lines = [
        {"resourceType": "Patient", "id": "a", "name": [{"family": "Lee", "given": ["Mo"]}]},
        {"resourceType": "Observation", "status": "final", "code": {"text": "weight"}},
    ]
    path = tmp_path / "in.ndjson"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    uow = unit_of_work(url)
    with uow:
        uow.sites.add(Site("harbour-childrens", "Harbour Children's Hospital"))
        uow.users.add(
            User(
                "nurse@example.org",
                "Ben Nurse",
                Role.CLINICIAN,
                Profession.NURSE,
                frozenset({"harbour-childrens"}),
            )
        )
        uow.commit()
    environ = {"HIPCARE_DATABASE_URL": url}

    status, out, err = _run(
        ["fhir", "import", str(path), "--site", "harbour-childrens", "--as", "nurse@example.org"],
        environ,
    )

    assert status == 0, err
    report = json.loads(out)
    assert [item["index"] for item in report["rejected"]] == [0, 1]
    assert "identifier" in report["rejected"][0]["reason"]
    assert report["rejected"][1]["reason"].startswith("code:")


def test_import_of_a_file_that_is_not_json_exits_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    status, out, err = _run(["fhir", "import", str(path)], {})
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "not valid JSON" in err


@pytest.mark.slow
def test_the_installed_command_exports_the_demo(tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = subprocess.run(
        [str(HIPCARE), "fhir", "export", "--demo", "--demo-children", "6", "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HIPCARE_DATA_DIR": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (output / "Patient.ndjson").read_text(encoding="utf-8").count("\n") == 6


class _Terminal(io.StringIO):
    """A text stream that says it is a terminal, as stderr is in an interactive shell."""

    def isatty(self) -> bool:
        return True


def test_export_draws_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    out, err = io.StringIO(), _Terminal()
    argv = ["fhir", "export", "--demo", "--demo-children", "4", "--output", str(tmp_path / "o")]
    status = main(argv, {}, io=CommandIO(io.StringIO(), out, err, {}))
    assert status == 0
    frames = err.getvalue().split("\r")[1:]
    assert len(frames) == 4
    assert frames[1].startswith("[" + "#" * 15 + " " * 15 + "]  50% 2/4 children")
    assert frames[-1].endswith("100% 4/4 children\n")


@pytest.mark.slow
def test_export_with_booklets_adds_each_booklet_in_the_childs_language(tmp_path: Path) -> None:
    output = tmp_path / "o"
    argv = ["fhir", "export", "--demo", "--demo-children", "1", "--booklets"]
    status, _, err = _run([*argv, "--output", str(output)], {})
    assert status == 0, err
    (line,) = (output / "DocumentReference.ndjson").read_text(encoding="utf-8").splitlines()
    document = json.loads(line)
    validate(document)
    (patient,) = [
        json.loads(text)
        for text in (output / "Patient.ndjson").read_text(encoding="utf-8").splitlines()
    ]
    language = patient["communication"][0]["language"]["coding"][0]["code"]
    attachment = document["content"][0]["attachment"]
    assert attachment["language"] == language
    assert base64.b64decode(attachment["data"]).startswith(b"%PDF-")
    assert document["subject"]["reference"] == f"Patient/{patient['id']}"
