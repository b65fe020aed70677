"""The benchmarks' code still runs against hipcare (it measures nothing here).

``./run bench`` is the only caller of ``bench/``, so a use case whose signature changed broke
the booklet's memory probe, a snippet run in a fresh interpreter, without any test seeing it
(found in session 6, when the whole bench stopped at its first module). These import every
module and run that probe for real; the figures themselves stay in docs/benchmarks.md.
"""

from __future__ import annotations

import importlib
import pkgutil

import bench
from bench import bench_booklet


def test_every_bench_module_imports_and_has_a_run_function() -> None:
    names = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    assert len(names) >= 10
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        assert callable(getattr(module, "run", None)), f"bench/{name}.py has no run()"


def test_the_booklet_memory_probe_renders_every_language_in_a_fresh_interpreter() -> None:
    assert bench_booklet.peak_rss_mb("typst") > 0
