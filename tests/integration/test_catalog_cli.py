"""`hipcare catalog check`: exit 0 when complete, 1 with gaps (English fallback), 2 on bad usage."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.content.i18n import catalog_path, language, locale_directory


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), {}, io=CommandIO(io.StringIO(), out, err, {}))
    return status, out.getvalue(), err.getvalue()


def test_check_exits_0_when_every_language_is_complete() -> None:
    status, out, err = _run("catalog", "check")
    assert (status, err) == (0, "")
    assert "ar       " in out
    assert "clinically reviewed: no" in out


def test_check_json_reports_every_language_with_its_review_status() -> None:
    status, out, _ = _run("catalog", "check", "--json")
    report = json.loads(out)
    assert status == 0
    assert report["complete"] is True
    assert [lang["code"] for lang in report["languages"]] == [
        "en",
        "ar",
        "zh-Hans",
        "zh-Hant",
        "vi",
        "fa",
    ]
    assert all(lang["clinically_reviewed"] is False for lang in report["languages"])


def test_check_exits_1_and_names_the_gap_when_a_string_is_missing(tmp_path: Path) -> None:
    copy = tmp_path / "locale"
    shutil.copytree(locale_directory(), copy)
    path = catalog_path(language("zh-Hant"), copy)
    text = path.read_text("utf-8")
    path.write_text(text.replace('msgstr "重要日期"', 'msgstr ""'), "utf-8")
    status, out, _ = _run("catalog", "check", "--lang", "zh-Hant", "--locale-dir", str(copy))
    assert status == 1
    assert "untranslated: 1" in out
    assert "'Key dates'" in out
    assert "fall back to English" in out


def test_check_json_exits_1_with_the_missing_strings_listed(tmp_path: Path) -> None:
    status, out, _ = _run(
        "catalog", "check", "--lang", "vi", "--json", "--locale-dir", str(tmp_path)
    )
    report = json.loads(out)
    assert status == 1
    (vi,) = report["languages"]
    assert vi["translated"] == 0
    assert "Key dates" in vi["missing"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (("catalog", "check", "--lang", "xx"), "lang: unknown language 'xx'"),
        (("catalog",), "required"),
        (("catalog", "check", "--bogus"), "unrecognized arguments"),
    ],
)
def test_bad_usage_exits_2_with_one_line(argv: tuple[str, ...], needle: str) -> None:
    status, out, err = _run(*argv)
    assert status == 2
    assert out == ""
    assert needle in err
    assert err.count("\n") == 1


@pytest.mark.slow
def test_console_script_runs_catalog_check() -> None:
    script = Path(sys.executable).parent / "hipcare"
    result = subprocess.run(
        [str(script), "catalog", "check", "--lang", "fa"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "English family strings" in result.stdout
    assert "fa       " in result.stdout
