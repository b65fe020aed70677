"""The site report's charts: hip survival by procedure, and MP before vs after per hip.

SVG text from plain numbers (the ``hipcare report --json`` shape), for the page and for the
exported report; :func:`charts_pdf` and :func:`chart_png` typeset them with typst (already
hipcare's PDF engine, ADR 0003) beside a data table, so the exported files say the same as
the chart in words. Colour is never the only cue: each procedure group has its own line
style, each chart has ``<title>`` and ``<desc>``.

Hip survival: the Kaplan-Meier step curve of each group with its 95% confidence band shaded
(the band is lifelines' exponential Greenwood band; docs/outcomes.md). The paired chart: one
line per hip from its MP before surgery to its MP at about 1 year (hips with both films).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "chart_png",
    "charts_pdf",
    "hip_survival_svg",
    "migration_percentage_pairs_svg",
    "survival_table_rows",
]

_WIDTH, _HEIGHT = 720.0, 360.0
_LEFT, _RIGHT, _TOP, _BOTTOM = 64.0, 230.0, 24.0, 56.0
_STYLES = (
    ("#1f4e8c", ""),  # first group: solid
    ("#b35900", "8 5"),  # second group: dashed
    ("#2e7d32", "2 4"),
)
_TABLE_YEARS = (1, 2, 5, 10)


def _number(value: float) -> str:
    return f"{value:.1f}"


def _plot_x(years: float, max_years: float) -> float:
    return _LEFT + (_WIDTH - _LEFT - _RIGHT) * (years / max_years if max_years > 0 else 0.0)


def _plot_y(fraction: float) -> float:
    return _TOP + (_HEIGHT - _TOP - _BOTTOM) * (1.0 - fraction)


def _frame(title: str, description: str, x_label: str, y_label: str) -> list[str]:
    bottom, right = _HEIGHT - _BOTTOM, _WIDTH - _RIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH:.0f} {_HEIGHT:.0f}" '
        f'width="{_WIDTH:.0f}" height="{_HEIGHT:.0f}" role="img" '
        'font-family="Noto Sans, sans-serif" font-size="13">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)}</desc>",
        f'<rect x="0" y="0" width="{_WIDTH:.0f}" height="{_HEIGHT:.0f}" fill="#ffffff"/>',
        f'<line x1="{_LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{bottom}" stroke="#333"/>',
    ]
    for tenth in range(0, 11, 2):
        y = _plot_y(tenth / 10)
        parts.append(
            f'<line x1="{_LEFT - 4}" y1="{_number(y)}" x2="{right}" y2="{_number(y)}" '
            'stroke="#ddd"/>'
            f'<text x="{_LEFT - 8}" y="{_number(y + 4)}" text-anchor="end">{tenth * 10}%</text>'
        )
    parts.append(
        f'<text x="{_number((_LEFT + right) / 2)}" y="{_HEIGHT - 12}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="16" y="{_number((_TOP + bottom) / 2)}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_number((_TOP + bottom) / 2)})">{escape(y_label)}</text>'
    )
    return parts


def _step_path(points: Sequence[tuple[float, float]], max_years: float) -> str:
    commands = []
    previous: float | None = None
    for years, fraction in points:
        x, y = _number(_plot_x(years, max_years)), _number(_plot_y(fraction))
        if previous is None:
            commands.append(f"M{x},{y}")
        else:
            commands.append(f"H{x}V{y}")
        previous = fraction
    return " ".join(commands)


def _group_points(
    hip_survival: Sequence[Mapping[str, Any]],
) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for point in hip_survival:
        groups.setdefault(str(point["procedure"]), []).append(point)
    return groups


def hip_survival_svg(hip_survival: Sequence[Mapping[str, Any]]) -> str:
    """Kaplan-Meier curves with 95% bands from ``{procedure, years, survival, lower, upper}``."""
    groups = _group_points(hip_survival)
    max_years = max((float(point["years"]) for point in hip_survival), default=1.0) or 1.0
    summary = "; ".join(
        f"{name}: {len(points)} steps, {float(points[-1]['survival']):.0%} at "
        f"{float(points[-1]['years']):.1f} years"
        for name, points in groups.items()
    )
    parts = _frame(
        "Hip survival by procedure (Kaplan-Meier, 95% confidence band)",
        f"Share of hips not failed (MP over 50% or re-operation) by years since surgery. {summary}",
        "years since surgery",
        "hips not failed",
    )
    bottom = _HEIGHT - _BOTTOM
    for whole in range(0, int(max_years) + 1, max(1, int(max_years) // 10 or 1)):
        x = _plot_x(whole, max_years)
        parts.append(
            f'<text x="{_number(x)}" y="{bottom + 18}" text-anchor="middle">{whole}</text>'
        )
    for index, (name, points) in enumerate(groups.items()):
        colour, dash = _STYLES[index % len(_STYLES)]
        upper = [(float(p["years"]), float(p["upper"])) for p in points]
        lower = [(float(p["years"]), float(p["lower"])) for p in points]
        band = _step_path(upper, max_years)
        back = _step_path(list(reversed(lower)), max_years).replace("M", "L", 1)
        parts.append(
            f'<path d="{band} {back} Z" fill="{colour}" fill-opacity="0.15" stroke="none"/>'
        )
        curve = _step_path([(float(p["years"]), float(p["survival"])) for p in points], max_years)
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<path d="{curve}" fill="none" stroke="{colour}" stroke-width="2.5"{dash_attribute}/>'
        )
        legend_y = _TOP + 20 + 24 * index
        legend_x = _WIDTH - _RIGHT + 16
        parts.append(
            f'<line x1="{legend_x}" y1="{legend_y}" x2="{legend_x + 30}" y2="{legend_y}" '
            f'stroke="{colour}" stroke-width="2.5"{dash_attribute}/>'
            f'<text x="{legend_x + 38}" y="{legend_y + 4}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def migration_percentage_pairs_svg(hips: Sequence[Mapping[str, Any]]) -> str:
    """One line per hip from MP before surgery to MP at about 1 year (both films needed)."""
    pairs = [
        (str(hip["procedure"]), float(hip["before"]), float(hip["at_1_year"]))
        for hip in hips
        if hip.get("before") is not None and hip.get("at_1_year") is not None
    ]
    names = list(dict.fromkeys(name for name, _, _ in pairs))
    parts = _frame(
        "Migration percentage before surgery and at about 1 year, per hip",
        f"{len(pairs)} hips with both films; each line joins one hip's two values.",
        "before surgery → about 1 year after",
        "migration percentage",
    )
    left_x, right_x = _LEFT + 60, _WIDTH - _RIGHT - 60
    bottom = _HEIGHT - _BOTTOM
    parts.append(
        f'<text x="{left_x}" y="{bottom + 18}" text-anchor="middle">before</text>'
        f'<text x="{right_x}" y="{bottom + 18}" text-anchor="middle">~1 year</text>'
    )
    for name, before, after in pairs:
        colour, dash = _STYLES[names.index(name) % len(_STYLES)]
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{left_x}" y1="{_number(_plot_y(before / 100))}" x2="{right_x}" '
            f'y2="{_number(_plot_y(after / 100))}" stroke="{colour}" stroke-opacity="0.35"'
            f"{dash_attribute}/>"
        )
    for index, name in enumerate(names):
        colour, dash = _STYLES[index % len(_STYLES)]
        dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
        legend_y = _TOP + 20 + 24 * index
        legend_x = _WIDTH - _RIGHT + 16
        parts.append(
            f'<line x1="{legend_x}" y1="{legend_y}" x2="{legend_x + 30}" y2="{legend_y}" '
            f'stroke="{colour}" stroke-width="2.5"{dash_attribute}/>'
            f'<text x="{legend_x + 38}" y="{legend_y + 4}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def survival_table_rows(hip_survival: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """The chart in words: survival and band per group at 1, 2, 5 and 10 years (if reached)."""
    rows = []
    for name, points in _group_points(hip_survival).items():
        for years in _TABLE_YEARS:
            if float(points[-1]["years"]) < years:
                continue
            point = [p for p in points if float(p["years"]) <= years][-1]
            rows.append(
                [
                    name,
                    str(years),
                    f"{float(point['survival']):.0%}",
                    f"{float(point['lower']):.0%}-{float(point['upper']):.0%}",
                ]
            )
    return rows


_TEMPLATE = """#set document(title: "Site outcomes report", date: none)
#set page(paper: "a4", flipped: true, margin: 1.5cm)
#set text(font: ("Noto Sans",), size: 10pt)
#let data = json("report.json")
= Outcomes report: site #data.site, #data.report_date
#image("hip_survival.svg", width: 70%)
#table(columns: 4, [*procedure*], [*years*], [*hips not failed*], [*95% band*],
  ..data.rows.flatten())
#pagebreak()
#image("migration_percentage.svg", width: 70%)
"""


def _typeset(
    report: Mapping[str, Any], format_name: Literal["pdf", "png"], font_paths: Sequence[Path]
) -> Any:
    import typst

    folder = Path(tempfile.mkdtemp(prefix="hipcare-outcomes-"))
    try:
        (folder / "report.typ").write_text(_TEMPLATE, encoding="utf-8")
        (folder / "hip_survival.svg").write_text(
            hip_survival_svg(report["hip_survival"]), encoding="utf-8"
        )
        (folder / "migration_percentage.svg").write_text(
            migration_percentage_pairs_svg(report["migration_percentage_by_hip"]),
            encoding="utf-8",
        )
        data = {
            "site": report["site"],
            "report_date": report["report_date"],
            "rows": survival_table_rows(report["hip_survival"]),
        }
        (folder / "report.json").write_text(json.dumps(data), encoding="utf-8")
        existing = [str(path) for path in font_paths if path.is_dir()]
        return typst.compile(
            str(folder / "report.typ"),
            root=str(folder),
            format=format_name,
            font_paths=existing,
            ignore_system_fonts=bool(existing),
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def charts_pdf(report: Mapping[str, Any], font_paths: Sequence[Path]) -> bytes:
    """The report's charts with the survival table beside them, as a PDF (typst)."""
    pdf = _typeset(report, "pdf", font_paths)
    if not isinstance(pdf, bytes):  # pragma: no cover -- typst returns pages only for PNG/SVG
        raise TypeError("typst returned no PDF document")
    return pdf


def chart_png(report: Mapping[str, Any], font_paths: Sequence[Path]) -> bytes:
    """The report's first page (hip survival chart and table) as a PNG image (typst)."""
    pages = _typeset(report, "png", font_paths)
    first = pages[0] if isinstance(pages, list) else pages
    if not isinstance(first, bytes):  # pragma: no cover -- typst returns PNG bytes
        raise TypeError("typst returned no PNG image")
    return first
