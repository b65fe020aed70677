"""How fast the site outcomes report is for 10,000 operations in a warm process.

The synthetic demo generator (``hipcare.services.outcomes_demo``) makes a site with 10,000
operated children (and 7,500 under surveillance only); the figure is the report itself:
domain figures, two Kaplan-Meier curves by lifelines, and the JSON document. lifelines is
imported before timing (its import, about 2 s, is paid once per process). Target: under 1 s.
``run()`` returns the figures for the bench runner; run this file alone to print them.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import date
from typing import Any


def run(operations: int = 10_000, repeats: int = 5) -> dict[str, Any]:
    """Median and worst time of the report of ``operations`` operations."""
    from hipcare.analysis.survival import KaplanMeierEstimator
    from hipcare.content.outcomes import load_outcome_content
    from hipcare.services.outcomes_demo import demo_outcomes
    from hipcare.services.outcomes_report import ReportContent, build_site_report, report_document

    today = date(2026, 12, 6)
    start = time.perf_counter()
    records = demo_outcomes(today=today, seed=1, operations=operations).records
    generated_s = time.perf_counter() - start
    content = load_outcome_content()
    report_content = ReportContent(
        content.thresholds,
        content.grade_descriptions,
        content.classification_source,
        content.local_protocol_ids,
    )
    estimator = KaplanMeierEstimator()
    estimator.estimate([1.0, 2.0], [True, False])  # warm: imports lifelines, pandas, scipy
    times = []
    size = 0
    for _ in range(repeats):
        start = time.perf_counter()
        document = report_document(
            build_site_report(records, report_content, estimator, today=today)
        )
        size = len(json.dumps(document))
        times.append(time.perf_counter() - start)
    return {
        "name": "outcomes report",
        "operations": operations,
        "children": len(records.children),
        "generate_demo_s": round(generated_s, 2),
        "report_median_ms": round(statistics.median(times) * 1000, 1),
        "report_worst_ms": round(max(times) * 1000, 1),
        "report_json_bytes": size,
        "target_report_ms": 1000,
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
