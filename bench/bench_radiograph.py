"""Radiograph previews: hipcare in the server process and as a command, against dcmj2pnm.

The same synthetic 2500 x 3000 16-bit DICOM (tests/fixtures/radiographs.py), the file's own
window, side by side in one run:

- in the server process (warm): bytes -> read -> window -> fit -> JPEG, median of N;
- ``dcmj2pnm`` (dcmtk) as a whole process, JPEG (``+oj``) and PNG (``+on``), median of N;
- ``hipcare radiograph preview`` as a whole process, median of N: its fast path for plain
  films (``hipcare.interop.radiograph.native_reader`` and ``preview.native_preview``: no
  numpy, no pydicom, no ``PIL.Image``; the loops over the pixels compiled in
  ``hipcare_pixels``, ADR 0011), as the console script runs.

Each is measured at full size and fitted to 1024 px (``dcmj2pnm +Syv 1024``). Processes are
timed by the wall clock and by the CPU time the child used (user + system, from
``getrusage``), which other work on the machine disturbs much less. The command runs as
``./run`` installs it: hipcare's own modules compiled to bytecode (this module compiles them
too, in case it is run on its own). It is also timed with hipcare's modules not compiled (a copy
without bytecode first on ``PYTHONPATH``, ``PYTHONDONTWRITEBYTECODE=1``), as an editable
install runs where nothing compiled it. For each output the command and ``dcmj2pnm`` run in
turn, round after round, so that a change in the machine's load or clock falls on both.
The "imports" figure imports exactly the modules the command imports (found by running it
in a fresh interpreter). Targets
(issue 6): in-process <= 30 ms per image (about 0.2 x dcmj2pnm); the command as a whole
process no slower than dcmj2pnm.
Run alone: ``python bench/bench_radiograph.py`` (``python -m bench radiograph`` rewrites
docs/benchmarks.md with this section only).
"""

from __future__ import annotations

import compileall
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HIPCARE = Path(sys.executable).with_name("hipcare")
PREVIEW_PX = 1024


def _median_ms(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times), 1)


def _process_ms(argv: list[str], repeats: int) -> float:
    def once() -> None:
        subprocess.run(argv, check=True, capture_output=True)

    once()  # warm the page cache and any first-run work
    return _median_ms(once, repeats)


def _interleaved(
    runs: dict[str, tuple[list[str], dict[str, str] | None]], repeats: int
) -> dict[str, tuple[float, float]]:
    """Median wall and CPU ms of each process, run in turn round after round, so that a
    change of load on the machine falls on all of them alike."""
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in runs}
    for argv, env in runs.values():
        subprocess.run(argv, check=True, capture_output=True, env=env)  # warm up
    for _ in range(repeats):
        for name, (argv, env) in runs.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True, env=env)
            times[name][0].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times[name][1].append(
                after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            )
    return {
        name: (round(1000 * statistics.median(walls), 1), round(1000 * statistics.median(cpus), 1))
        for name, (walls, cpus) in times.items()
    }


_IMPORTED = """
import sys
before = set(sys.modules)
from hipcare.cli import main
main(sys.argv[1:])
print(" ".join(sorted(name for name in set(sys.modules) - before if "." not in name or
      name.startswith(("hipcare.", "PIL.")))))
"""


def _command_imports(argv: list[str]) -> list[str]:
    """The modules the command imports (top-level packages, and hipcare's and Pillow's own)."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTED, *argv], check=True, capture_output=True, text=True
    )
    return result.stdout.split("\n")[-2].split()


def run(in_process_repeats: int = 30, process_repeats: int = 7) -> dict[str, Any]:
    """Figures for the bench runner (see module docstring)."""
    from tests.fixtures import radiographs as films

    import hipcare
    from hipcare.interop.radiograph.preview import (
        PreviewCache,
        PreviewFormat,
        display_lut,
        render_preview,
    )
    from hipcare.interop.radiograph.reader import read_radiograph

    load_at_start = os.getloadavg()[0]
    # As ./run leaves the editable tree: compiled (only what changed; quiet).
    compileall.compile_dir(Path(hipcare.__file__).parent, quiet=2, workers=0)
    data = films.dicom_bytes()
    folder = Path(tempfile.mkdtemp(prefix="hipcare-bench-"))
    try:
        source = folder / "film.dcm"
        source.write_bytes(data)
        radiograph = read_radiograph(data)
        window = radiograph.window

        def preview(max_size: int | None, image_format: PreviewFormat) -> Callable[[], object]:
            # A fixed key: the content hash is measured on its own below.
            return lambda: render_preview(
                read_radiograph(data), max_size=max_size, image_format=image_format, cache_key="-"
            )

        preview(PREVIEW_PX, PreviewFormat.JPEG)()  # warm: imports, decoders
        ours = {
            ("jpeg", "fit"): _median_ms(
                preview(PREVIEW_PX, PreviewFormat.JPEG), in_process_repeats
            ),
            ("jpeg", "full"): _median_ms(preview(None, PreviewFormat.JPEG), in_process_repeats),
            ("png", "fit"): _median_ms(preview(PREVIEW_PX, PreviewFormat.PNG), in_process_repeats),
            ("png", "full"): _median_ms(preview(None, PreviewFormat.PNG), max(3, process_repeats)),
        }
        from hipcare.interop.radiograph.preview import native_preview

        # The command's pixel work alone (its fast path, in process, warm): with the start-up
        # figures below, the floor of the command as Python + Pillow (ADR 0009).
        fast_path_ms = _median_ms(
            lambda: native_preview(data, max_size=PREVIEW_PX, cache_key="-"), in_process_repeats
        )
        read_ms = _median_ms(lambda: read_radiograph(data), in_process_repeats)
        lut_ms = _median_ms(lambda: display_lut(radiograph), in_process_repeats)
        sha_ms = _median_ms(lambda: hashlib.sha256(data).hexdigest(), in_process_repeats)
        cache = PreviewCache()
        cache.get_or_render(radiograph, max_size=PREVIEW_PX)
        cached_ms = _median_ms(
            lambda: cache.get_or_render(radiograph, max_size=PREVIEW_PX), in_process_repeats
        )

        dcmj2pnm = shutil.which("dcmj2pnm")

        def reference_argv(flag: str, scale: list[str], suffix: str) -> list[str]:
            return [
                str(dcmj2pnm),
                flag,
                "+Ww",
                f"{window.centre:g}",
                f"{window.width:g}",
                *scale,
                str(source),
                str(folder / f"dcmtk.{suffix}"),
            ]

        def preview_argv(suffix: str, max_size: str) -> list[str]:
            return [
                str(HIPCARE),
                "radiograph",
                "preview",
                str(source),
                "--output",
                str(folder / f"ours.{suffix}"),
                "--max-size",
                max_size,
            ]

        # Each output: the command and dcmj2pnm in turn, round after round (a change of load
        # or clock speed on the machine then falls on both alike).
        command: dict[tuple[str, str], float] = {}
        theirs: dict[tuple[str, str], float | None] = {}
        for image_format, flag, suffix in (("jpeg", "+oj", "jpg"), ("png", "+on", "png")):
            for size, scale, max_size in (
                ("fit", ["+Syv", str(PREVIEW_PX)], str(PREVIEW_PX)),
                ("full", [], "0"),
            ):
                pair_runs: dict[str, tuple[list[str], dict[str, str] | None]] = {
                    "command": (preview_argv(suffix, max_size), None)
                }
                if dcmj2pnm is not None:
                    pair_runs["dcmj2pnm"] = (reference_argv(flag, scale, suffix), None)
                medians = _interleaved(pair_runs, process_repeats)
                command[(image_format, size)] = medians["command"][0]
                theirs[(image_format, size)] = (
                    medians["dcmj2pnm"][0] if dcmj2pnm is not None else None
                )
        # The headline comparison again, with more rounds, CPU time, and the command with its
        # own modules not compiled (a copy of the package without bytecode, found first).
        bare = folder / "bare"
        shutil.copytree(
            Path(hipcare.__file__).parent,
            bare / "hipcare",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        uncompiled = {**os.environ, "PYTHONPATH": str(bare), "PYTHONDONTWRITEBYTECODE": "1"}
        runs: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "command": (preview_argv("jpg", str(PREVIEW_PX)), None),
            "command, hipcare not compiled": (preview_argv("jpg", str(PREVIEW_PX)), uncompiled),
        }
        if dcmj2pnm is not None:
            runs["dcmj2pnm"] = (reference_argv("+oj", ["+Syv", str(PREVIEW_PX)], "jpg"), None)
        pair = _interleaved(runs, 3 * process_repeats)
        imported = _command_imports(preview_argv("jpg", str(PREVIEW_PX))[1:])
        imports_ms = _process_ms(
            [sys.executable, "-c", f"import {', '.join(imported)}"], process_repeats
        )
        interpreter_ms = _process_ms([sys.executable, "-c", "pass"], process_repeats)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def ratio(a: float | None, b: float | None) -> float | str:
        return "n/a" if a is None or b is None else round(a / b, 2)

    rows = []
    for image_format in ("jpeg", "png"):
        for size in ("fit", "full"):
            key = (image_format, size)
            shape = f"fitted to {PREVIEW_PX} px" if size == "fit" else "2500 x 3000"
            rows.append(
                [
                    f"{image_format.upper()} {shape}",
                    ours[key],
                    command[key],
                    theirs[key] if theirs[key] is not None else "not installed",
                    ratio(ours[key], theirs[key]),
                    ratio(command[key], theirs[key]),
                ]
            )
    in_process = ours[("jpeg", "fit")]
    reference = theirs[("jpeg", "fit")]
    return {
        "name": "radiograph preview",
        "film": "synthetic DX, 2500 x 3000, 14-bit in 16-bit words, uncompressed, 15 MB",
        # Other work on the machine slows every column alike; the ratios hold up better.
        "load_average_1_min (start / end)": f"{load_at_start:.1f} / {os.getloadavg()[0]:.1f}",
        "cpus": os.cpu_count(),
        "in_process_ms_jpeg_1024": in_process,
        "in_process_ms_jpeg_full_size": ours[("jpeg", "full")],
        "fast_path_in_process_ms_jpeg_1024 (the command's pixel work, warm)": fast_path_ms,
        "read_ms (parse, no pixel copy)": read_ms,
        "lookup_table_build_ms": lut_ms,
        "sha256_of_file_ms (cache key, once per film)": sha_ms,
        "cached_preview_ms": cached_ms,
        "command_ms_jpeg_1024": command[("jpeg", "fit")],
        "dcmj2pnm_ms_jpeg_1024": reference if reference is not None else "not installed",
        f"side by side, JPEG 1024, median wall / CPU ms (N = {3 * process_repeats})": "; ".join(
            f"{name} {wall:g} / {cpu:g}" for name, (wall, cpu) in pair.items()
        ),
        "python_start_ms": interpreter_ms,
        "python_start_and_imports_ms (what the command imports)": imports_ms,
        "command_imports": " ".join(
            name for name in imported if name.split(".")[0] in ("hipcare", "PIL")
        )
        + f", and {sum(name.split('.')[0] not in ('hipcare', 'PIL') for name in imported)}"
        " standard-library modules",
        "command_imports_numpy_or_pydicom": any(name in ("numpy", "pydicom") for name in imported),
        "target_in_process_ms": 30,
        "meets_in_process_target": in_process <= 30,
        "in_process_over_dcmj2pnm_jpeg_1024": ratio(in_process, reference),
        "meets_command_target (no slower than dcmj2pnm)": (
            "n/a" if reference is None else command[("jpeg", "fit")] <= reference
        ),
        "meets_command_target side by side (wall and CPU)": (
            "n/a"
            if "dcmj2pnm" not in pair
            else pair["command"][0] <= pair["dcmj2pnm"][0]
            and pair["command"][1] <= pair["dcmj2pnm"][1]
        ),
        "tables": {
            "Median ms per image, same file and window (N in-process "
            f"{in_process_repeats}, processes {process_repeats})": {
                "columns": [
                    "output",
                    "hipcare in process",
                    "hipcare command",
                    "dcmj2pnm",
                    "in process / dcmj2pnm",
                    "command / dcmj2pnm",
                ],
                "rows": rows,
            }
        },
    }


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    for figure, value in run().items():
        print(f"{figure}: {value}")
