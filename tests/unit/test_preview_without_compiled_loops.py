"""The preview command where hipcare-pixels is not installed (a plain ``pip install``,
ADR 0014): it takes the numpy path and writes the same bytes as with the compiled loops."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.fixtures import radiographs as films


def _preview(source: Path, output: Path, *, without_compiled_loops: bool) -> list[str]:
    """Run ``hipcare radiograph preview`` in a fresh interpreter; the modules it imported."""
    # None in sys.modules makes `import hipcare_pixels` raise ImportError, as when the
    # distribution is not installed at all.
    hide = "sys.modules['hipcare_pixels'] = None\n" if without_compiled_loops else ""
    probe = (
        "import sys\n"
        f"{hide}"
        "from hipcare.cli import main\n"
        f"status = main(['radiograph', 'preview', {str(source)!r}, '--output', {str(output)!r}])\n"
        "assert status == 0, status\n"
        "print(' '.join(sorted(name for name in ('numpy', 'pydicom') if name in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()[-1].split()


@pytest.mark.parametrize("size", [(300, 250), (1500, 1250)])
def test_the_preview_is_the_same_without_the_compiled_loops(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """Same JPEG bytes; the fallback reads the film with pydicom and numpy."""
    source = tmp_path / "film.dcm"
    source.write_bytes(films.dicom_bytes(rows=size[0], columns=size[1]))
    compiled = _preview(source, tmp_path / "compiled.jpg", without_compiled_loops=False)
    fallback = _preview(source, tmp_path / "fallback.jpg", without_compiled_loops=True)
    assert compiled == []
    assert fallback == ["numpy", "pydicom"]
    assert (tmp_path / "fallback.jpg").read_bytes() == (tmp_path / "compiled.jpg").read_bytes()
