"""A child's migration-percentage trend as an inline SVG chart, one line per hip.

Pure: it takes the films' dates and reported migration percentages (0-100%) and returns SVG
text; nothing here reads a database or the clock. The chart draws, for each hip, the points
and the line through them, and a shaded band of +/- the single-film measurement error around
each point: an experienced rater measures MP within +/-5.8 percentage points on one film
(95% limit; Parrott J, Boyd RN, Dobson F, et al. Hip displacement in spastic cerebral palsy:
repeatability of radiologic measurement. J Pediatr Orthop 2002;22:660-667; the constant is
``hipcare.domain.radiograph.MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS``). The change
between two films has its own, wider limit (8.3 points); pages say beside the chart whether a
change is within it. Horizontal lines mark the referral and surgery thresholds, which the
caller takes from the surveillance rules (``content/surveillance.toml``), not from here.

Colour is never the only cue: the right hip is a solid line with round points, the left a
dashed line with square points, and the chart has a ``<title>`` and ``<desc>``. Pages give a
data table beside it as the accessible alternative.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph import Side
from hipcare.domain.trend import TrendPoint

__all__ = [
    "ChartLayout",
    "PlottedPoint",
    "TrendPoint",
    "plot_points",
    "trend_chart_svg",
    "x_for",
    "y_for",
]

_MIN_PERCENT = 0.0
_MAX_PERCENT = 100.0
_SINGLE_DATE_PADDING = timedelta(days=90)
"""When every film is on one day, the time axis spans this much either side of it."""


@dataclass(frozen=True)
class ChartLayout:
    """The drawing's size and margins in SVG user units (pixels at 100% zoom)."""

    width: float = 780.0
    height: float = 340.0
    margin_left: float = 64.0
    margin_right: float = 220.0
    margin_top: float = 20.0
    margin_bottom: float = 56.0

    def __post_init__(self) -> None:
        if self.plot_right - self.plot_left < 10 or self.plot_bottom - self.plot_top < 10:
            raise InvalidInputError("layout", "the margins leave no room for the plot")

    @property
    def plot_left(self) -> float:
        return self.margin_left

    @property
    def plot_right(self) -> float:
        return self.width - self.margin_right

    @property
    def plot_top(self) -> float:
        return self.margin_top

    @property
    def plot_bottom(self) -> float:
        return self.height - self.margin_bottom


@dataclass(frozen=True)
class PlottedPoint:
    """A point as drawn: the hip, the film's date and MP, and its x/y in the drawing."""

    side: Side
    day: date
    migration_percentage: float
    x: float
    y: float


def y_for(migration_percentage: float, layout: ChartLayout) -> float:
    """The y of a migration percentage: 0% at the plot's bottom, 100% at its top (clamped)."""
    value = min(_MAX_PERCENT, max(_MIN_PERCENT, migration_percentage))
    share = (value - _MIN_PERCENT) / (_MAX_PERCENT - _MIN_PERCENT)
    return layout.plot_bottom - share * (layout.plot_bottom - layout.plot_top)


def _date_range(days: Sequence[date]) -> tuple[date, date]:
    first, last = min(days), max(days)
    if first == last:
        return first - _SINGLE_DATE_PADDING, last + _SINGLE_DATE_PADDING
    return first, last


def x_for(day: date, first: date, last: date, layout: ChartLayout) -> float:
    """The x of ``day`` on a time axis from ``first`` (plot's left) to ``last`` (right)."""
    span = (last - first).days
    share = 0.5 if span <= 0 else (day - first).days / span
    share = min(1.0, max(0.0, share))
    return layout.plot_left + share * (layout.plot_right - layout.plot_left)


def plot_points(
    series: Mapping[Side, Sequence[TrendPoint]], layout: ChartLayout | None = None
) -> tuple[PlottedPoint, ...]:
    """Every film's point of every hip, placed in the plot, by side then date."""
    layout = layout or ChartLayout()
    days = [point.day for points in series.values() for point in points]
    if not days:
        return ()
    first, last = _date_range(days)
    return tuple(
        PlottedPoint(
            side=side,
            day=point.day,
            migration_percentage=point.migration_percentage,
            x=x_for(point.day, first, last, layout),
            y=y_for(point.migration_percentage, layout),
        )
        for side in Side
        for point in sorted(series.get(side, ()), key=lambda point: point.day)
    )


@dataclass(frozen=True)
class _LineStyle:
    colour: str
    dash: str | None
    marker: str


_STYLE = {
    Side.RIGHT: _LineStyle(colour="#1b5e8c", dash=None, marker="circle"),
    Side.LEFT: _LineStyle(colour="#a3470a", dash="6 4", marker="square"),
}


def _number(value: float) -> str:
    return f"{value:.1f}"


def _time_ticks(first: date, last: date, most: int = 6) -> list[date]:
    span = (last - first).days
    if span <= 0:
        return [first]
    count = min(most, span + 1)
    step = span / (count - 1) if count > 1 else span
    ticks = [first + timedelta(days=round(step * index)) for index in range(count)]
    return sorted(set(ticks))


def _band(points: Sequence[PlottedPoint], error_points: float, layout: ChartLayout) -> str:
    if len(points) == 1:
        point = points[0]
        top = y_for(point.migration_percentage + error_points, layout)
        bottom = y_for(point.migration_percentage - error_points, layout)
        left, right = _number(point.x - 6), _number(point.x + 6)
        return f"M{left},{_number(top)}H{right}V{_number(bottom)}H{left}Z"
    upper = [(p.x, y_for(p.migration_percentage + error_points, layout)) for p in points]
    lower = [(p.x, y_for(p.migration_percentage - error_points, layout)) for p in points]
    path = [f"{_number(x)},{_number(y)}" for x, y in upper + lower[::-1]]
    return "M" + "L".join(path) + "Z"


def _marker(point: PlottedPoint, colour: str, shape: str) -> str:
    label = escape(
        f"{point.side.value.capitalize()} hip, {point.day.isoformat()}: "
        f"{point.migration_percentage:g}%"
    )
    if shape == "circle":
        body = (
            f'<circle cx="{_number(point.x)}" cy="{_number(point.y)}" r="5" fill="{colour}" '
            f'stroke="#ffffff" stroke-width="1.5">'
        )
        return f"{body}<title>{label}</title></circle>"
    body = (
        f'<rect x="{_number(point.x - 5)}" y="{_number(point.y - 5)}" width="10" height="10" '
        f'fill="{colour}" stroke="#ffffff" stroke-width="1.5">'
    )
    return f"{body}<title>{label}</title></rect>"


def trend_chart_svg(
    series: Mapping[Side, Sequence[TrendPoint]],
    *,
    refer_threshold_percent: float,
    surgery_threshold_percent: float,
    error_band_points: float,
    chart_id: str = "mp-trend",
    layout: ChartLayout | None = None,
) -> str:
    """The SVG chart (one ``<svg>`` element as text, safe to put in HTML unescaped).

    ``series`` gives each hip's films (any order; a hip without films is left out);
    ``refer_threshold_percent`` and ``surgery_threshold_percent`` draw the labelled
    horizontal lines (from the surveillance rules); ``error_band_points`` is the half-width
    of the shaded band around each point (the single-film error, Parrott et al. 2002).
    ``chart_id`` makes the ids of ``<title>`` / ``<desc>`` unique on the page.
    """
    layout = layout or ChartLayout()
    for name, value in (
        ("refer_threshold_percent", refer_threshold_percent),
        ("surgery_threshold_percent", surgery_threshold_percent),
    ):
        if not math.isfinite(value) or not _MIN_PERCENT <= value <= _MAX_PERCENT:
            raise InvalidInputError(name, f"{value!r} is not a percentage from 0 to 100")
    if not math.isfinite(error_band_points) or not 0 <= error_band_points <= 50:
        raise InvalidInputError("error_band_points", "must be 0 to 50 percentage points")
    if not all(c.isalnum() or c in "-_" for c in chart_id) or not chart_id:
        raise InvalidInputError("chart_id", "must be letters, digits, '-' or '_'")
    plotted = plot_points(series, layout)
    sides = [side for side in Side if any(point.side is side for point in plotted)]
    safe_id = escape(chart_id)
    described = _description(plotted, sides, refer_threshold_percent, surgery_threshold_percent)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" role="img" '
        f'viewBox="0 0 {_number(layout.width)} {_number(layout.height)}" '
        f'width="{_number(layout.width)}" height="{_number(layout.height)}" '
        f'aria-labelledby="{safe_id}-title {safe_id}-desc" font-family="sans-serif" '
        f'font-size="12">',
        f'<title id="{safe_id}-title">Migration percentage over time, by hip</title>',
        f'<desc id="{safe_id}-desc">{escape(described)}</desc>',
        f'<rect x="{_number(layout.plot_left)}" y="{_number(layout.plot_top)}" '
        f'width="{_number(layout.plot_right - layout.plot_left)}" '
        f'height="{_number(layout.plot_bottom - layout.plot_top)}" fill="#ffffff" '
        f'stroke="#6b6b6b"/>',
    ]
    parts.extend(_y_axis(layout))
    if plotted:
        first, last = _date_range([point.day for point in plotted])
        parts.extend(_x_axis(first, last, layout))
    else:
        parts.append(
            f'<text x="{_number((layout.plot_left + layout.plot_right) / 2)}" '
            f'y="{_number((layout.plot_top + layout.plot_bottom) / 2)}" text-anchor="middle" '
            f'fill="#333333">No film with a migration percentage yet</text>'
        )
    parts.extend(
        _threshold(refer_threshold_percent, f"{refer_threshold_percent:g}%: refer", layout)
    )
    parts.extend(
        _threshold(
            surgery_threshold_percent,
            f"{surgery_threshold_percent:g}%: surgery usually considered",
            layout,
        )
    )
    for side in sides:
        points = [point for point in plotted if point.side is side]
        style = _STYLE[side]
        colour = style.colour
        parts.append(
            f'<path class="error-band" d="{_band(points, error_band_points, layout)}" '
            f'fill="{colour}" fill-opacity="0.15" stroke="none"/>'
        )
        if len(points) > 1:
            dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
            line = " ".join(f"{_number(p.x)},{_number(p.y)}" for p in points)
            parts.append(
                f'<polyline class="trend-line" points="{line}" fill="none" stroke="{colour}" '
                f'stroke-width="2.5"{dash}/>'
            )
        parts.append(f'<g class="points points-{side.value}">')
        parts.extend(_marker(point, colour, style.marker) for point in points)
        parts.append("</g>")
    parts.extend(_legend(sides, error_band_points, layout))
    parts.append("</svg>")
    return "".join(parts)


def _description(
    plotted: Sequence[PlottedPoint], sides: Sequence[Side], refer: float, surgery: float
) -> str:
    if not plotted:
        return "No film with a migration percentage has been recorded yet."
    words = []
    for side in sides:
        values = ", ".join(
            f"{point.day.isoformat()} {point.migration_percentage:g}%"
            for point in plotted
            if point.side is side
        )
        words.append(f"{side.value.capitalize()} hip: {values}.")
    words.append(
        f"Lines at {refer:g}% (refer) and {surgery:g}% (surgery usually considered). "
        "The shaded band is the measurement error of one film."
    )
    return " ".join(words)


def _y_axis(layout: ChartLayout) -> list[str]:
    parts = []
    for value in range(0, 101, 10):
        y = _number(y_for(value, layout))
        parts.append(
            f'<line x1="{_number(layout.plot_left)}" x2="{_number(layout.plot_right)}" '
            f'y1="{y}" y2="{y}" stroke="#e3e3e3" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_number(layout.plot_left - 8)}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle" fill="#333333">{value}</text>'
        )
    middle = _number((layout.plot_top + layout.plot_bottom) / 2)
    parts.append(
        f'<text x="16" y="{middle}" text-anchor="middle" fill="#1a1a1a" '
        f'transform="rotate(-90 16 {middle})">Migration percentage (%)</text>'
    )
    return parts


def _x_axis(first: date, last: date, layout: ChartLayout) -> list[str]:
    parts = []
    bottom = layout.plot_bottom
    for tick in _time_ticks(first, last):
        x = _number(x_for(tick, first, last, layout))
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="{_number(bottom)}" y2="{_number(bottom + 5)}" '
            f'stroke="#6b6b6b"/>'
        )
        parts.append(
            f'<text x="{x}" y="{_number(bottom + 18)}" text-anchor="middle" '
            f'fill="#333333">{tick.isoformat()}</text>'
        )
    parts.append(
        f'<text x="{_number((layout.plot_left + layout.plot_right) / 2)}" '
        f'y="{_number(layout.height - 8)}" text-anchor="middle" fill="#1a1a1a">Film date</text>'
    )
    return parts


def _threshold(value: float, label: str, layout: ChartLayout) -> list[str]:
    y = _number(y_for(value, layout))
    return [
        f'<line class="threshold" x1="{_number(layout.plot_left)}" '
        f'x2="{_number(layout.plot_right)}" y1="{y}" y2="{y}" stroke="#8a1c1c" '
        f'stroke-width="1.5" stroke-dasharray="2 3"/>',
        f'<text class="threshold-label" x="{_number(layout.plot_right + 6)}" y="{y}" '
        f'dominant-baseline="middle" fill="#8a1c1c">{escape(label)}</text>',
    ]


def _legend(sides: Sequence[Side], error_points: float, layout: ChartLayout) -> list[str]:
    parts = []
    x = layout.plot_right + 6
    y = layout.plot_top + 8
    for side in sides:
        style = _STYLE[side]
        colour = style.colour
        dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
        parts.append(
            f'<line x1="{_number(x)}" x2="{_number(x + 22)}" y1="{_number(y)}" '
            f'y2="{_number(y)}" stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        parts.append(
            f'<text x="{_number(x + 28)}" y="{_number(y)}" dominant-baseline="middle" '
            f'fill="#1a1a1a">{side.value.capitalize()} hip</text>'
        )
        y += 18
    if sides:
        parts.append(
            f'<text x="{_number(x)}" y="{_number(y)}" dominant-baseline="middle" '
            f'fill="#333333">Band: ±{error_points:g} points</text>'
        )
    return parts
