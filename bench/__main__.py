"""Run every ``bench/bench_*.py`` module and write their figures into ``docs/benchmarks.md``.

Each module exposes ``run() -> dict``: a flat mapping of figure names to values, with an
optional ``"name"`` (the section title) and an optional ``"tables"`` mapping of a table title
to ``{"columns": [...], "rows": [[...], ...]}``. ``python -m bench [NAME ...]`` runs only the
named modules (``booklet``, ``plan``): their sections of the page are replaced and every other
module's section is kept as it was (each section says when it was measured).
"""

from __future__ import annotations

import datetime
import importlib
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"


def _modules(names: list[str]) -> list[str]:
    found = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
    if not names:
        return found
    wanted = [f"bench_{name.removeprefix('bench_')}" for name in names]
    unknown = [name for name in wanted if name not in found]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; have {', '.join(found)}")
    return wanted


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|")


def _section(module: str, figures: dict[str, Any], seconds: float, when: str) -> list[str]:
    """The module's section; ``when`` says when and where it ran, and how busy the machine was."""
    title = figures.get("name", module.removeprefix("bench_"))
    lines = [f"## {title}", "", f"Module `bench/{module}.py`, {seconds:.1f} s, run {when}.", ""]
    lines += ["| figure | value |", "|---|---|"]
    for key, value in figures.items():
        if key not in {"name", "tables"}:
            lines.append(f"| {_cell(key)} | {_cell(value)} |")
    for table_title, table in figures.get("tables", {}).items():
        lines += ["", f"**{table_title}**", ""]
        lines.append("| " + " | ".join(_cell(c) for c in table["columns"]) + " |")
        lines.append("|" + "---|" * len(table["columns"]))
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table["rows"]]
    return [*lines, ""]


_MODULE_LINE = re.compile(r"^Module `bench/(bench_\w+)\.py`", re.MULTILINE)


def _kept_sections() -> dict[str, list[str]]:
    """The sections of the page as it stands, by module (a section runs from its ``## ``
    title to the next one)."""
    if not DOCS.exists():
        return {}
    kept: dict[str, list[str]] = {}
    for chunk in re.split(r"^(?=## )", DOCS.read_text(encoding="utf-8"), flags=re.MULTILINE):
        found = _MODULE_LINE.search(chunk)
        if chunk.startswith("## ") and found:
            kept[found.group(1)] = [*chunk.rstrip("\n").split("\n"), ""]
    return kept


def _last_full_run(date: str, machine: str) -> tuple[str, str]:
    """The page's date and machine of the last run of every module (``date`` and ``machine``
    when the page has none)."""
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    found_date = re.search(r"^- date: (.+?)(?: \(|$)", text, re.MULTILINE)
    found_machine = re.search(r"^- machine: (.+)$", text, re.MULTILINE)
    return (
        found_date.group(1) if found_date else date,
        found_machine.group(1) if found_machine else machine,
    )


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    sections = _kept_sections() if argv else {}
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {_cpu()}, Python {platform.python_version()}"
    full_date, full_machine = _last_full_run(date, machine) if argv else (date, machine)
    page = [
        "# Benchmarks",
        "",
        "Written by `./run bench` (`python -m bench`); do not edit by hand. Figures depend on the",
        "machine; speed is measured here, never asserted in tests. `python -m bench NAME` re-runs",
        "one module and replaces its section only.",
        "",
        f"- date: {full_date} (every module; a section run since says when and where)",
        f"- machine: {full_machine}",
        "",
    ]
    for module_name in _modules(argv):
        print(f"[bench] {module_name} ...", flush=True)
        module = importlib.import_module(f"bench.{module_name}")
        load_before = _load()
        start = time.perf_counter()
        figures = module.run()
        seconds = time.perf_counter() - start
        load_after, cpus = _load(), os.cpu_count() or 1
        when = (
            f"{date} on {machine}; load average (1 min) {load_before} before, {load_after} "
            f"after, {cpus} CPUs"
        )
        if max(float(load_before), float(load_after)) > cpus:
            when += " (a busy machine: re-run on a quiet one before comparing figures)"
        for key, value in figures.items():
            if key != "tables":
                print(f"[bench]   {key}: {value}", flush=True)
        for table_title, table in figures.get("tables", {}).items():
            print(f"[bench]   {table_title}: {table['columns']}")
            for row in table["rows"]:
                print(f"[bench]     {row}")
        sections[module_name] = _section(module_name, figures, seconds, when)
    for module_name in sorted(sections):
        page += sections[module_name]
    DOCS.write_text("\n".join(page).rstrip() + "\n", encoding="utf-8")
    print(f"[bench] wrote {DOCS.relative_to(ROOT)}")
    return 0


def _cpu() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return platform.processor() or "unknown CPU"
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return f"{models[0]} x{len(models)}" if models else "unknown CPU"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
