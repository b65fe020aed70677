"""How fast one child's plan is made in a warm process: facts -> dated plan -> English text.

``run()`` returns the figures for the bench runner (``python -m bench``); run this file alone
to print them. Target: one plan in 1 ms or less once the pathway is loaded.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

FACTS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "facts_both_dega_nwb.json"


def _timed(function: Any, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def run(repeats: int = 2000) -> dict[str, Any]:
    """Median and 95th-percentile time of the engine alone and of a full translated plan."""
    from hipcare.bootstrap import load_content
    from hipcare.content.i18n import translator
    from hipcare.content.pathway import load_pathway
    from hipcare.domain.pathway import personalise
    from hipcare.services.pathway import make_plan, parse_facts, plan_document

    content = load_content()
    data = json.loads(FACTS.read_text(encoding="utf-8"))
    facts = parse_facts(data, content=content)
    pathway = load_pathway()
    english = translator("en")
    make_plan(facts, content=content)  # warm: the first plan

    engine = _timed(lambda: personalise(pathway, facts, site_name="Example"), repeats)
    whole = _timed(
        lambda: plan_document(
            make_plan(parse_facts(data, content=content), content=content), english
        ),
        repeats,
    )
    arabic = translator("ar")
    translated = _timed(
        lambda: plan_document(
            make_plan(parse_facts(data, content=content), content=content), arabic
        ),
        repeats,
    )

    def ms(values: list[float], q: int = 50) -> float:
        ordered = sorted(values)
        return round(1000 * ordered[min(len(ordered) - 1, len(ordered) * q // 100)], 4)

    return {
        "name": "plan",
        "repeats": repeats,
        "items_per_plan": len(make_plan(facts, content=content).items),
        "engine_median_ms": round(1000 * statistics.median(engine), 4),
        "engine_p95_ms": ms(engine, 95),
        "plan_document_en_median_ms": round(1000 * statistics.median(whole), 4),
        "plan_document_en_p95_ms": ms(whole, 95),
        "plan_document_ar_median_ms": round(1000 * statistics.median(translated), 4),
        "plans_per_second_en": round(1 / statistics.median(whole)),
        "target_ms": 1.0,
        "meets_target": statistics.median(whole) <= 0.001,
    }


if __name__ == "__main__":
    figures = run()
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(f"{figures['plans_per_second_en']} plans/second")
