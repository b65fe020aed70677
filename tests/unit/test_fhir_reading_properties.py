"""Hypothesis: every measure hipcare exports reads back as the same value, side and day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from hipcare.content.pathway import load_pathway
from hipcare.domain.radiograph import Side
from hipcare.domain.records import Child, HipMeasures, Site, VisitRecord
from hipcare.interop.fhir.mapping import child_bundle
from hipcare.interop.fhir.reading import read_bundle
from hipcare.services.fhir import ChildRecord

PATHWAY = load_pathway()
_DEGREES = st.one_of(st.none(), st.floats(0, 180, allow_nan=False).map(lambda x: round(x, 2)))


@st.composite
def _hips(draw: st.DrawFn) -> HipMeasures:
    side = draw(st.sampled_from(list(Side)))
    raw = draw(st.floats(-20, 130, allow_nan=False).map(lambda x: round(x, 1)))
    return HipMeasures(
        side=side,
        migration_percentage_raw=raw,
        acetabular_index_deg=draw(
            st.one_of(st.none(), st.floats(-90, 90, allow_nan=False).map(lambda x: round(x, 2)))
        ),
        neck_shaft_angle_deg=draw(_DEGREES),
        head_shaft_angle_deg=draw(_DEGREES),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_hips(), min_size=1, max_size=2, unique_by=lambda hip: hip.side),
    st.dates(min_value=date(2021, 1, 1), max_value=date(2026, 11, 25)),
)
def test_exported_measures_read_back_unchanged(hips: list[HipMeasures], day: date) -> None:
    child = Child("Ana", "Lopez", date(2020, 1, 1), "harbour-childrens", id=3)
    visit = VisitRecord(
        child_id=3,
        visit_date=day,
        xray=True,
        recorded_by=1,
        recorded_at=datetime(2026, 11, 25, tzinfo=UTC),
        hips=tuple(hips),
        id=9,
    )
    record = ChildRecord(site=Site("harbour-childrens", "Harbour"), child=child, visits=(visit,))

    contents = read_bundle(child_bundle(record, PATHWAY))

    assert contents.rejected == []
    read = {(m.side, m.measure): (m.value, m.raw) for m in contents.measures}
    expected = {}
    for hip in hips:
        for name in (
            "migration_percentage_reported",
            "acetabular_index_deg",
            "neck_shaft_angle_deg",
            "head_shaft_angle_deg",
        ):
            value = getattr(hip, name)
            if value is not None:
                raw = hip.migration_percentage_raw if name.startswith("migration") else None
                expected[(hip.side, name)] = (value, raw)
    assert read == expected
    assert {m.visit_date for m in contents.measures} == {day}
    assert {m.patient_index for m in contents.measures} == {1}
