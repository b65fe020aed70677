"""``hipcare radiograph`` run in-process and as a real process: files written, and refusals."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from tests.fixtures import radiographs as films

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample_film.json"
HIPCARE = Path(sys.executable).with_name("hipcare")


def _opened(path: Path) -> tuple[str | None, tuple[int, int]]:
    with Image.open(path) as image:
        return image.format, image.size


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["radiograph", *argv], {}, io=CommandIO(io.StringIO(""), out, err, environ={}))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def film(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("films") / "film.dcm"
    path.write_bytes(films.dicom_bytes())
    return path


@pytest.mark.parametrize(("name", "pillow_format"), [("out.png", "PNG"), ("out.jpg", "JPEG")])
def test_preview_writes_the_format_its_name_asks_for(
    film: Path, tmp_path: Path, name: str, pillow_format: str
) -> None:
    output = tmp_path / name
    status, out, err = run(["preview", str(film), "--output", str(output), "--max-size", "512"])
    assert (status, err) == (0, "")
    assert _opened(output) == (pillow_format, (427, 512))
    assert "427 x 512 px" in out
    assert "window 7000/10000 (file)" in out


def test_preview_max_size_zero_keeps_the_films_size(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(films.jpeg_photo_bytes())
    output = tmp_path / "out.png"
    status, _, _ = run(["preview", str(source), "--output", str(output), "--max-size", "0"])
    assert status == 0
    assert _opened(output)[1] == (1250, 1500)


def test_preview_takes_a_window_from_the_command_line(film: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.png"
    status, out, _ = run(
        ["preview", str(film), "--output", str(output), "--window", "9000", "2000"]
    )
    assert status == 0
    assert "window 9000/2000 (given)" in out


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (films.not_an_image_bytes(), "file: not a DICOM or PNG/JPEG file"),
        (films.truncated_dicom_bytes(), "file: pixel data truncated: expected 600000 bytes, found"),
    ],
    ids=["not an image", "truncated"],
)
def test_a_bad_file_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, data: bytes, message: str
) -> None:
    source = tmp_path / "upload.dcm"
    source.write_bytes(data)
    output = tmp_path / "out.png"
    status, out, err = run(["preview", str(source), "--output", str(output)])
    assert status == 2
    assert out == ""
    assert err.startswith(f"hipcare radiograph: error: {message}")
    assert err.count("\n") == 1
    assert not output.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["preview", "missing.dcm", "--output", "x.png"], "input: file 'missing.dcm' does not"),
        (["preview", "FILM", "--output", "x.gif"], "--output: give a file name ending .png"),
        (["preview", "FILM", "--output", "x.png", "--max-size", "8"], "must be 16 pixels"),
        (["preview", "FILM", "--output", "x.png", "--window", "1", "0"], "window.width"),
        (["overlay", "FILM", "--landmarks", "SAMPLE", "--output", "x.jpg"], ".png"),
        (["info"], "the following arguments are required: INPUT"),
        ([], "the following arguments are required: ACTION"),
    ],
)
def test_bad_command_lines_are_one_line_exit_2(
    film: Path, tmp_path: Path, argv: list[str], message: str
) -> None:
    argv = [
        {"FILM": str(film), "SAMPLE": str(SAMPLE)}.get(
            part, str(tmp_path / part) if part.startswith("x.") else part
        )
        for part in argv
    ]
    status, _, err = run(argv)
    assert status == 2
    assert message in err
    assert err.count("\n") == 1


def test_info_reports_identifiers_and_warns_where_the_record_differs(
    film: Path, tmp_path: Path
) -> None:
    child = tmp_path / "child.json"
    child.write_text(
        json.dumps(
            {
                "given_name": "Amira",
                "family_name": "Synthetic",
                "date_of_birth": "2018-03-15",
                "identifier": "SYN-000123",
            }
        ),
        encoding="utf-8",
    )
    status, out, err = run(["info", str(film), "--child", str(child)])
    assert (status, err) == (0, "")
    result = json.loads(out)
    assert result["identifiers"]["patient_id"] == "SYN-000123"
    assert result["pixel_spacing_mm"]["row"] == 0.15
    assert [w["attribute"] for w in result["identifier_warnings"]] == ["PatientBirthDate"]


def test_overlay_writes_a_png_and_prints_the_measures(film: Path, tmp_path: Path) -> None:
    output = tmp_path / "overlay.png"
    status, out, err = run(
        ["overlay", str(film), "--landmarks", str(SAMPLE), "--output", str(output)]
    )
    assert (status, err) == (0, "")
    assert _opened(output) == ("PNG", (1333, 1600))
    assert json.loads(out)["right"]["migration_percentage"] == 45.0


@pytest.mark.slow
def test_preview_as_a_real_process(film: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.jpg"
    completed = subprocess.run(
        [str(HIPCARE), "radiograph", "preview", str(film), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (completed.returncode, completed.stderr) == (0, "")
    assert _opened(output) == ("JPEG", (853, 1024))


@pytest.mark.slow
def test_a_bad_file_as_a_real_process_is_one_line_without_traceback(tmp_path: Path) -> None:
    source = tmp_path / "letter.txt"
    source.write_bytes(films.not_an_image_bytes())
    completed = subprocess.run(
        [str(HIPCARE), "radiograph", "info", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1
    assert "Traceback" not in completed.stderr


def test_the_radiograph_grammar_is_the_same_when_only_its_module_is_loaded() -> None:
    """``main`` builds only the named subcommand's parser: help and usage must not change."""
    from hipcare.cli import build_parser

    def helps(command: str | None) -> list[str]:
        parser = build_parser(command)
        action = next(a for a in parser._actions if a.dest == "command")
        radiograph = action.choices["radiograph"]  # a subparsers action: name -> parser
        actions = next(a for a in radiograph._actions if a.dest == "action")
        return [radiograph.format_help()] + [sub.format_help() for sub in actions.choices.values()]

    assert helps("radiograph") == helps(None)


def test_an_unknown_command_still_lists_every_command() -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(["radiografh"], {}, io=CommandIO(io.StringIO(""), out, err, environ={}))
    assert status == 2
    assert "invalid choice: 'radiografh'" in err.getvalue()
    assert "'measure'" in err.getvalue()
    assert "'send-reminders'" in err.getvalue()


@pytest.mark.parametrize(
    "data",
    [films.dicom_bytes(rows=300, columns=250), films.rle_dicom_bytes(), films.png_photo_bytes()],
    ids=["plain DICOM (fast path)", "RLE DICOM (full path)", "PNG photo (full path)"],
)
def test_preview_output_does_not_depend_on_the_path_taken(data: bytes, tmp_path: Path) -> None:
    """The command's file and line are render_preview's for every kind of input."""
    from hipcare.interop.radiograph.preview import PreviewFormat, render_preview
    from hipcare.interop.radiograph.reader import read_radiograph

    source, output = tmp_path / "film.bin", tmp_path / "out.png"
    source.write_bytes(data)
    status, out, err = run(["preview", str(source), "--output", str(output), "--max-size", "200"])
    assert (status, err) == (0, "")
    expected = render_preview(read_radiograph(data), max_size=200, image_format=PreviewFormat.PNG)
    assert output.read_bytes() == expected.data
    window = expected.window
    assert out == (
        f"{output}: {expected.width} x {expected.height} px PNG, "
        f"window {window.centre:g}/{window.width:g} ({window.source.value})\n"
    )
