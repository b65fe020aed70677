"""The rule for an unreachable PostgreSQL: skip with the reason locally, fail under CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# Port 1 on this machine: nothing listens there, so the connection is refused at once.
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test"


def _run_postgresql_half(ci: str | None) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items() if key != "CI"}
    environ["HIPCARE_TEST_POSTGRESQL_URL"] = UNREACHABLE
    if ci is not None:
        environ["CI"] = ci
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rsf",
            str(HERE / "test_storage_migrations.py"),
            "-k",
            "again_changes_nothing and postgresql",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=environ,
        cwd=HERE.parents[2],
    )


@pytest.mark.slow
def test_an_unreachable_postgresql_is_skipped_with_the_reason_outside_ci() -> None:
    done = _run_postgresql_half(ci=None)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "PostgreSQL is not reachable at" in done.stdout


@pytest.mark.slow
def test_an_unreachable_postgresql_fails_the_run_under_ci() -> None:
    done = _run_postgresql_half(ci="true")
    assert done.returncode != 0
    assert "CI=true: the PostgreSQL tests must run" in done.stdout
