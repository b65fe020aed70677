"""The site report's charts: SVG structure, accessible text, and the table beside them."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from hipcare.render.outcome_charts import (
    hip_survival_svg,
    migration_percentage_pairs_svg,
    survival_table_rows,
)

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 -- parses the chart this module built


CURVES = [
    {"procedure": "vdro-alone", "years": 0.0, "survival": 1.0, "lower": 1.0, "upper": 1.0},
    {"procedure": "vdro-alone", "years": 1.5, "survival": 0.8, "lower": 0.6, "upper": 0.9},
    {"procedure": "vdro-alone", "years": 6.0, "survival": 0.6, "lower": 0.4, "upper": 0.75},
    {
        "procedure": "vdro-with-pelvic-osteotomy",
        "years": 0.0,
        "survival": 1.0,
        "lower": 1.0,
        "upper": 1.0,
    },
    {
        "procedure": "vdro-with-pelvic-osteotomy",
        "years": 2.5,
        "survival": 0.9,
        "lower": 0.7,
        "upper": 0.97,
    },
]


def test_survival_chart_has_a_title_a_band_and_a_styled_curve_per_group() -> None:
    """Two groups: two shaded bands, two curves (one dashed: colour is not the only cue)."""
    root = _parse(hip_survival_svg(CURVES))
    assert root.find(f"{SVG}title") is not None
    assert "Kaplan-Meier" in (root.findtext(f"{SVG}title") or "")
    paths = root.findall(f"{SVG}path")
    bands = [path for path in paths if path.get("fill-opacity")]
    curves = [path for path in paths if path.get("fill") == "none"]
    assert (len(bands), len(curves)) == (2, 2)
    assert sum(1 for curve in curves if curve.get("stroke-dasharray")) == 1
    assert "vdro-with-pelvic-osteotomy" in hip_survival_svg(CURVES)


def test_survival_curve_steps_down_from_the_top_left() -> None:
    """The first point (0 years, 100%) sits at the plot's top-left corner; steps are H then V."""
    root = _parse(hip_survival_svg(CURVES))
    curve = next(path for path in root.findall(f"{SVG}path") if path.get("fill") == "none")
    d = curve.get("d") or ""
    assert d.startswith("M64.0,24.0")
    assert d.count("H") == 2
    assert d.count("V") == 2


def test_the_table_beside_the_chart_gives_survival_at_whole_years_reached() -> None:
    rows = survival_table_rows(CURVES)
    assert rows == [
        ["vdro-alone", "1", "100%", "100%-100%"],
        ["vdro-alone", "2", "80%", "60%-90%"],
        ["vdro-alone", "5", "80%", "60%-90%"],
        ["vdro-with-pelvic-osteotomy", "1", "100%", "100%-100%"],
        ["vdro-with-pelvic-osteotomy", "2", "100%", "100%-100%"],
    ]


def test_paired_chart_draws_one_line_per_hip_with_both_films() -> None:
    hips = [
        {"procedure": "vdro-alone", "before": 60.0, "at_1_year": 20.0},
        {"procedure": "vdro-alone", "before": 55.0, "at_1_year": None},
        {"procedure": "vdro-with-pelvic-osteotomy", "before": 70.0, "at_1_year": 10.0},
    ]
    root = _parse(migration_percentage_pairs_svg(hips))
    hip_lines = [line for line in root.findall(f"{SVG}line") if line.get("stroke-opacity")]
    assert len(hip_lines) == 2
    assert "2 hips with both films" in (root.findtext(f"{SVG}desc") or "")


def test_charts_of_an_empty_report_are_still_valid_svg() -> None:
    _parse(hip_survival_svg([]))
    _parse(migration_percentage_pairs_svg([]))
    assert survival_table_rows([]) == []
