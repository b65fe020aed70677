"""How long ``hipcare fhir export`` takes for a large site: 10,000 generated children.

The children come from ``hipcare.services.fhir_demo`` (visits with measures, operation plans
with care plans) in a throw-away SQLite file; seeding is timed apart from the export. The
export is ``hipcare fhir export --all`` run in-process as the demo clinician, on the base URL
of ``HIPCARE_FHIR_BASE_URL``: NDJSON per type, ``bundle.json`` and the manifest. Figures:
seconds in all and per child, resources, and the size of what was written.
``run()`` returns the figures for the bench runner; run this file alone to print them.
"""

from __future__ import annotations

import io
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BASE_URL = "https://hipcare.bench.example/fhir"


def run(children: int = 10_000) -> dict[str, Any]:
    """Seed ``children`` generated children, then time one export of all of them."""
    from hipcare.bootstrap import load_content
    from hipcare.cli import main
    from hipcare.cli.command_io import CommandIO
    from hipcare.services.fhir_demo import DEMO_CLINICIAN_EMAIL, seed_demo
    from hipcare.storage import (
        SqlAlchemyUnitOfWork,
        create_database_engine,
        create_session_factory,
        upgrade_to_head,
    )

    # In memory (/dev/shm) where there is one: the figure is hipcare's work, not the disk's
    # flushes (one commit per child for its audit row).
    shm = Path("/dev/shm")  # noqa: S108 -- a throw-away benchmark database, removed after
    where = str(shm) if shm.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="hipcare-bench-fhir-", dir=where) as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        upgrade_to_head(url)
        engine = create_database_engine(url)
        start = time.perf_counter()
        seed_demo(
            SqlAlchemyUnitOfWork(create_session_factory(engine)),
            today=datetime.now(UTC).date(),
            children=children,
            content=load_content(),
        )
        seeded_s = time.perf_counter() - start
        engine.dispose()
        output = Path(folder) / "export"
        environ = {
            "HIPCARE_DATABASE_URL": url,
            "HIPCARE_ACTOR": DEMO_CLINICIAN_EMAIL,
            "HIPCARE_FHIR_BASE_URL": BASE_URL,
        }
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        status = main(
            ["fhir", "export", "--all", "--output", str(output)],
            environ,
            io=CommandIO(io.StringIO(), out, err, environ),
        )
        export_s = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"export failed: {err.getvalue()}")
        manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
        resources = sum(item["count"] for item in manifest["output"])
        ndjson_bytes = sum((output / item["url"]).stat().st_size for item in manifest["output"])
        bundle_bytes = (output / "bundle.json").stat().st_size
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "name": "FHIR export",
        "children": children,
        "database": "SQLite in /dev/shm" if where else "SQLite in the temporary folder",
        "seed_s": round(seeded_s, 1),
        "export_s": round(export_s, 1),
        "export_ms_per_child": round(export_s * 1000 / children, 2),
        "resources": resources,
        "ndjson_mb": round(ndjson_bytes / 1e6, 1),
        "bundle_json_mb": round(bundle_bytes / 1e6, 1),
        "peak_memory_mb": round(peak_kib / 1024),
    }


if __name__ == "__main__":
    figures = run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
    print(json.dumps(figures, indent=2))
