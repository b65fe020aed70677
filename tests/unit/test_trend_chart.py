"""The MP trend chart builder: placement of points, thresholds, band, accessible text."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ElementTree
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph import (
    MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS,
    Side,
)
from hipcare.render.trend_chart import (
    ChartLayout,
    TrendPoint,
    plot_points,
    trend_chart_svg,
    y_for,
)

SVG = "{http://www.w3.org/2000/svg}"
LAYOUT = ChartLayout()

percentages = st.floats(min_value=0, max_value=100, allow_nan=False)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
points = st.lists(st.builds(TrendPoint, days, percentages), min_size=1, max_size=12)


def _parse(svg: str) -> ElementTree.Element:
    # Our own generated SVG, not untrusted input.
    return ElementTree.fromstring(svg)  # noqa: S314 -- parses the chart this module built


def _chart(series: dict[Side, list[TrendPoint]]) -> str:
    return trend_chart_svg(
        series,
        refer_threshold_percent=30,
        surgery_threshold_percent=40,
        error_band_points=MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS,
    )


@given(right=points, left=points)
def test_every_point_lies_inside_the_plot_area(
    right: list[TrendPoint], left: list[TrendPoint]
) -> None:
    for point in plot_points({Side.RIGHT: right, Side.LEFT: left}, LAYOUT):
        assert LAYOUT.plot_left <= point.x <= LAYOUT.plot_right
        assert LAYOUT.plot_top <= point.y <= LAYOUT.plot_bottom


@given(lower=percentages, higher=percentages)
def test_y_is_monotonic_in_migration_percentage(lower: float, higher: float) -> None:
    """A higher MP is never drawn lower (SVG y grows downwards), and a visibly higher one
    (by a thousandth of a point or more) is drawn strictly higher."""
    lower, higher = sorted((lower, higher))
    assert y_for(higher, LAYOUT) <= y_for(lower, LAYOUT)
    if higher - lower >= 1e-3:
        assert y_for(higher, LAYOUT) < y_for(lower, LAYOUT)


@given(series=points)
def test_later_films_are_drawn_further_right(series: list[TrendPoint]) -> None:
    placed = plot_points({Side.RIGHT: series}, LAYOUT)
    for before, after in itertools.pairwise(placed):
        assert before.day <= after.day
        assert before.x <= after.x


def test_two_films_give_two_points_per_hip_and_the_labelled_threshold_lines() -> None:
    svg = _chart(
        {
            Side.RIGHT: [TrendPoint(date(2025, 1, 10), 22), TrendPoint(date(2025, 7, 10), 35)],
            Side.LEFT: [TrendPoint(date(2025, 1, 10), 14), TrendPoint(date(2025, 7, 10), 15)],
        }
    )
    root = _parse(svg)
    assert root.find(f"{SVG}title") is not None
    assert "Right hip: 2025-01-10 22%, 2025-07-10 35%" in (root.findtext(f"{SVG}desc") or "")
    right = root.find(f".//{SVG}g[@class='points points-right']")
    left = root.find(f".//{SVG}g[@class='points points-left']")
    assert right is not None
    assert len(list(right)) == 2
    assert left is not None
    assert len(list(left)) == 2
    labels = [text.text for text in root.iter(f"{SVG}text")]
    assert "30%: refer" in labels
    assert "40%: surgery usually considered" in labels
    assert "Migration percentage (%)" in labels
    assert "Film date" in labels
    thresholds = root.findall(f".//{SVG}line[@class='threshold']")
    assert [float(line.get("y1", "nan")) for line in thresholds] == [
        pytest.approx(y_for(30, LAYOUT), abs=0.05),
        pytest.approx(y_for(40, LAYOUT), abs=0.05),
    ]
    assert len(root.findall(f".//{SVG}polyline[@class='trend-line']")) == 2


def test_the_error_band_spans_the_single_film_error_around_each_point() -> None:
    svg = _chart({Side.RIGHT: [TrendPoint(date(2025, 1, 1), 50), TrendPoint(date(2026, 1, 1), 50)]})
    band = _parse(svg).find(f".//{SVG}path[@class='error-band']")
    assert band is not None
    ys = sorted({float(y) for y in re.findall(r",(-?[\d.]+)", band.get("d", ""))})
    assert ys == [
        pytest.approx(y_for(50 + 5.8, LAYOUT), abs=0.05),
        pytest.approx(y_for(50 - 5.8, LAYOUT), abs=0.05),
    ]


def test_one_film_is_centred_with_a_band_and_no_line() -> None:
    svg = _chart({Side.LEFT: [TrendPoint(date(2025, 3, 3), 41)]})
    root = _parse(svg)
    assert root.findall(f".//{SVG}polyline") == []
    assert root.find(f".//{SVG}path[@class='error-band']") is not None
    (point,) = plot_points({Side.LEFT: [TrendPoint(date(2025, 3, 3), 41)]}, LAYOUT)
    assert point.x == pytest.approx((LAYOUT.plot_left + LAYOUT.plot_right) / 2)


def test_no_film_says_so_in_words() -> None:
    root = _parse(_chart({}))
    assert "No film with a migration percentage" in (root.findtext(f"{SVG}desc") or "")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, 100.5])
def test_a_point_outside_0_to_100_percent_is_refused(value: float) -> None:
    with pytest.raises(InvalidInputError) as refused:
        TrendPoint(date(2025, 1, 1), value)
    assert refused.value.field == "migration_percentage"


def test_a_threshold_outside_0_to_100_is_refused() -> None:
    with pytest.raises(InvalidInputError) as refused:
        trend_chart_svg(
            {}, refer_threshold_percent=130, surgery_threshold_percent=40, error_band_points=5.8
        )
    assert refused.value.field == "refer_threshold_percent"


def test_a_chart_id_that_could_break_out_of_its_attribute_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        trend_chart_svg(
            {},
            refer_threshold_percent=30,
            surgery_threshold_percent=40,
            error_band_points=5.8,
            chart_id='"><script>',
        )


def test_dates_far_apart_keep_points_inside() -> None:
    start = date(2001, 1, 1)
    series = [TrendPoint(start + timedelta(days=3650 * i), 10 * i) for i in range(3)]
    for point in plot_points({Side.RIGHT: series}, LAYOUT):
        assert LAYOUT.plot_left <= point.x <= LAYOUT.plot_right
