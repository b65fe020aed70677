"""`hipcare booklet --facts FILE --lang CODE --output FILE.pdf|FILE.html` and its refusals."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DEMO = str(FIXTURES / "facts_demo.json")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), {}, io=CommandIO(io.StringIO(), out, err, {}))
    return status, out.getvalue(), err.getvalue()


def test_writes_an_html_booklet(tmp_path: Path) -> None:
    output = tmp_path / "booklet.html"
    status, out, err = _run("booklet", "--facts", DEMO, "--lang", "fa", "--output", str(output))
    assert (status, err) == (0, "")
    assert out == f"wrote {output}\n"
    html = output.read_text("utf-8")
    assert '<html lang="fa" dir="rtl">' in html


@pytest.mark.slow
def test_writes_a_pdf_booklet_in_process(tmp_path: Path) -> None:
    output = tmp_path / "booklet.pdf"
    status, _, err = _run("booklet", "--facts", DEMO, "--lang", "zh-Hant", "--output", str(output))
    assert (status, err) == (0, "")
    assert output.read_bytes().startswith(b"%PDF-")


@pytest.mark.slow
def test_console_script_writes_a_pdf_booklet(tmp_path: Path) -> None:
    output = tmp_path / "booklet.pdf"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "hipcare"),
            "booklet",
            "--facts",
            DEMO,
            "--lang",
            "ar",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    info = subprocess.run(
        ["pdfinfo", str(output)], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert "Tagged:          yes" in info


def _bad_facts(tmp_path: Path, change: dict[str, object]) -> str:
    data = json.loads(Path(DEMO).read_text("utf-8")) | change
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(data), "utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("--lang", "en", "--output", "b.docx"), "output: 'b.docx' must end in .pdf or .html"),
        (("--lang", "xx", "--output", "b.pdf"), "lang: unknown language 'xx'"),
        (("--output", "b.pdf"), "the following arguments are required: --lang"),
    ],
)
def test_bad_usage_exits_2_with_one_line(argv: tuple[str, ...], needle: str) -> None:
    status, out, err = _run("booklet", "--facts", DEMO, *argv)
    assert (status, out) == (2, "")
    assert needle in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"surgery_dat": "2027-03-01"}, "surgery_dat: unknown field"),
        ({"surgery_date": "2027-02-30"}, "surgery_date: '2027-02-30' is not a real calendar date"),
        ({"procedures": ["dega"]}, "procedures: must include 'vdro'"),
    ],
)
def test_bad_facts_exit_2_naming_the_field(
    tmp_path: Path, change: dict[str, object], needle: str
) -> None:
    facts = _bad_facts(tmp_path, change)
    status, _, err = _run("booklet", "--facts", facts, "--lang", "en", "--output", "b.html")
    assert status == 2
    assert needle in err
    assert err.count("\n") == 1
    assert not (tmp_path / "b.html").exists()


def test_missing_facts_file_exits_2(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.json")
    status, _, err = _run("booklet", "--facts", missing, "--lang", "en", "--output", "b.html")
    assert status == 2
    assert err == f"hipcare booklet: error: facts: file {missing!r} does not exist\n"


def test_unwritable_output_exits_2(tmp_path: Path) -> None:
    output = tmp_path / "no-such-folder" / "b.html"
    status, _, err = _run("booklet", "--facts", DEMO, "--lang", "en", "--output", str(output))
    assert status == 2
    assert err.startswith("hipcare booklet: error: output: cannot write")
