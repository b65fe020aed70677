"""A stored plan's JSON gives the same SurveillancePlan back (the worklist rebuilds it)."""

from __future__ import annotations

import json
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.gmfcs import parse_gmfcs
from hipcare.domain.surveillance import HipPair, SurveillanceInput, Visit, plan_surveillance
from hipcare.services.surveillance_status import plan_from_document, plan_to_document

TODAY = date(2026, 3, 2)


@settings(max_examples=150, deadline=None)
@given(
    born_days_ago=st.integers(min_value=0, max_value=16 * 365),
    gmfcs=st.sampled_from(["I", "II", "III", "IV", "V", "unknown"]),
    gestation=st.one_of(st.none(), st.integers(min_value=24, max_value=40)),
    films=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=6000),
            st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
            st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
        ),
        max_size=4,
    ),
)
def test_a_plan_survives_its_json_unchanged(
    born_days_ago: int,
    gmfcs: str,
    gestation: int | None,
    films: list[tuple[int, float | None, float | None]],
) -> None:
    born = TODAY - timedelta(days=born_days_ago)
    visits = tuple(
        Visit(
            date=min(born + timedelta(days=offset), TODAY),
            xray=True,
            migration_percentage=HipPair(right=right, left=left),
        )
        for offset, right, left in films
    )
    plan = plan_surveillance(
        SurveillanceInput(
            date_of_birth=born,
            gmfcs=parse_gmfcs(gmfcs),
            today=TODAY,
            visits=visits,
            gestation_weeks=None if gestation is None else float(gestation),
        ),
        load_surveillance_rules(),
    )
    document = json.loads(json.dumps(plan_to_document(plan)))
    assert plan_from_document(document) == plan
