"""hipcare installs like any Python package (issue 18, ADR 0014): a plain pip in a clean venv
builds the wheel from this checkout, installs it with its dependencies from the package index,
and the installed console script answers ``--version`` and serves the demo.

Slow (a venv, a build and a few hundred MB of dependencies the first time; pip's cache makes
later runs about 20 s)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

import hipcare

REPOSITORY = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0
# What the app reads from its package at run time, beside the Python modules.
EXPECTED_DATA_FILES = (
    "hipcare/content/surveillance.toml",
    "hipcare/content/pathway.toml",
    "hipcare/content/demo/children.toml",
    "hipcare/content/locale/hipcare.pot",
    "hipcare/content/locale/ar/LC_MESSAGES/hipcare.po",
    "hipcare/render/templates/booklet.typ",
    "hipcare/web/templates/base.html",
    "hipcare/web/templates/child/page.html",
    "hipcare/web/static/hipcare.css",
    "hipcare/storage/migrations/env.py",
    "hipcare/storage/migrations/script.py.mako",
)

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _clean_environment() -> dict[str, str]:
    """The environment without this test run's virtualenv or HIPCARE_* settings."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HIPCARE_", "VIRTUAL_ENV", "PYTHON", "UV_"))
    }
    environ["PATH"] = os.pathsep.join(
        part for part in environ.get("PATH", "").split(os.pathsep) if ".venv" not in part
    )
    return environ


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the clean venv's bin folder, the wheel pip built) after a plain ``pip install``."""
    folder = tmp_path_factory.mktemp("install")
    environ = _clean_environment()
    # The system interpreter, as an IT team's machine has it (not this run's venv).
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    subprocess.run([python, "-m", "venv", str(folder / "venv")], check=True, env=environ)
    bin_folder = folder / "venv" / "bin"
    pip = [str(bin_folder / "python"), "-m", "pip", "--quiet", "--disable-pip-version-check"]
    wheels = folder / "wheels"
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--wheel-dir", str(wheels), str(REPOSITORY)],
        check=True,
        env=environ,
        cwd=folder,
    )
    (wheel,) = wheels.glob("hipcare-*.whl")
    subprocess.run([*pip, "install", str(wheel)], check=True, env=environ, cwd=folder)
    return bin_folder, wheel


def test_the_wheel_carries_templates_static_files_content_catalogs_and_migrations(
    installed: tuple[Path, Path],
) -> None:
    """Every kind of data file the app reads at run time is in the wheel, and every migration."""
    _, wheel = installed
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert [name for name in EXPECTED_DATA_FILES if name not in names] == []
    shipped = sorted(
        path.name for path in (REPOSITORY / "src/hipcare/storage/migrations/versions").glob("*.py")
    )
    in_wheel = sorted(
        Path(name).name
        for name in names
        if name.startswith("hipcare/storage/migrations/versions/") and name.endswith(".py")
    )
    assert in_wheel == shipped
    assert not [name for name in names if "hipcare_pixels" in name or name.endswith(".c")]


def test_the_installed_command_says_its_version(installed: tuple[Path, Path]) -> None:
    bin_folder, _ = installed
    result = subprocess.run(
        [str(bin_folder / "hipcare"), "--version"],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_environment(),
    )
    assert result.stdout.strip() == f"hipcare {hipcare.__version__}"


def test_the_installed_demo_answers_its_health_check(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    """``hipcare serve --demo`` from the wheel migrates, seeds and answers /healthz and /readyz."""
    bin_folder, _ = installed
    port = _free_port()
    log = tmp_path / "serve.log"
    environ = {**_clean_environment(), "HIPCARE_DATA_DIR": str(tmp_path / "data")}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(bin_folder / "hipcare"), "serve", "--demo", "--port", str(port)],
            env=environ,
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        health = _wait_for(process, base_url + "/healthz", log)
        assert health["status"] == "ok"
        ready = _wait_for(process, base_url + "/readyz", log)
        assert ready["status"] == "ready"
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "children added" in log.read_text()


def _wait_for(process: subprocess.Popen[bytes], url: str, log: Path) -> dict[str, object]:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"hipcare serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 -- our own http://127.0.0.1 server
                body: dict[str, object] = json.load(response)
                return body
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(
        f"hipcare serve did not answer {url} in {STARTUP_SECONDS:.0f} s:\n{log.read_text()}"
    )
