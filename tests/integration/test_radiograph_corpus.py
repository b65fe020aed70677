"""Every DICOM file pydicom and pydicom-data ship: read or refused in one line (issue 15).

pydicom's own test files and the ``pydicom-data`` package (real CR films among them) hold
big-endian, colour, palette, multi-frame, damaged and hostile files. ``hipcare radiograph
info`` and ``preview`` either succeed (exit 0) or refuse with exit 2 and one line on
standard error; never a traceback.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import data_store
import numpy as np
import pytest
from pydicom.data import get_testdata_file, get_testdata_files

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.interop.radiograph.reader import read_radiograph

HIPCARE = Path(sys.executable).with_name("hipcare")


def _corpus() -> list[Path]:
    shipped = {Path(name) for name in get_testdata_files("**/*")}
    shipped |= {path for path in Path(data_store.__file__).parent.rglob("*") if path.is_file()}
    return sorted(
        path for path in shipped if path.suffix != ".py" and "__pycache__" not in path.parts
    )


CORPUS = _corpus()
SUBPROCESS_SAMPLE = ("badVR.dcm", "meta_missing_tsyntax.dcm", "nested_priv_SQ.dcm")


def _run(argv: list[str]) -> tuple[int, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(argv, {}, CommandIO(io.StringIO(), stdout, stderr, {}))
    return status, stderr.getvalue()


def test_the_corpus_is_the_two_packages_in_full() -> None:
    """Both packages are found (a missing one would make the sweep below pass vacuously)."""
    names = {path.name for path in CORPUS}
    assert {"CT_small.dcm", "MR_small_bigendian.dcm", "693_UNCR.dcm"} <= names
    assert len(CORPUS) > 200


@pytest.mark.parametrize("action", ["info", "preview"])
def test_every_shipped_file_is_read_or_refused_in_one_line(action: str, tmp_path: Path) -> None:
    failures = []
    for path in CORPUS:
        extra = ["--output", str(tmp_path / "preview.png")] if action == "preview" else []
        try:
            status, stderr = _run(["radiograph", action, str(path), *extra])
        except Exception as error:
            failures.append(f"{path.name}: raised {type(error).__name__}: {error}")
            continue
        if status == 0:
            continue
        if status != 2 or len(stderr.strip().splitlines()) != 1 or "Traceback" in stderr:
            failures.append(f"{path.name}: exit {status}: {stderr[:200]!r}")
    assert failures == []


@pytest.mark.parametrize("name", SUBPROCESS_SAMPLE)
@pytest.mark.parametrize("action", ["info", "preview"])
def test_a_damaged_file_as_a_real_process_prints_one_line_not_a_traceback(
    name: str, action: str, tmp_path: Path
) -> None:
    extra = ["--output", str(tmp_path / "preview.png")] if action == "preview" else []
    done = subprocess.run(
        [str(HIPCARE), "radiograph", action, get_testdata_file(name) or "", *extra],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode in (0, 2)
    assert "Traceback" not in done.stderr
    if done.returncode == 2:
        assert len(done.stderr.strip().splitlines()) == 1


def test_big_endian_pixels_read_as_the_same_values_as_little_endian() -> None:
    """MR_small_bigendian.dcm is MR_small.dcm in Explicit VR Big Endian."""
    little = read_radiograph(Path(get_testdata_file("MR_small.dcm") or "").read_bytes())
    big = read_radiograph(Path(get_testdata_file("MR_small_bigendian.dcm") or "").read_bytes())
    assert np.array_equal(little.words, big.words)
    assert little.window == big.window
