"""Repositories on SQLite and PostgreSQL: every record comes back as the domain value it was."""

from __future__ import annotations

import json
import string
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.exc import StatementError
from storage_support import HARBOUR, NORTHERN, NOW, Staff

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.pathway import Procedure, Sides, WeightBearing
from hipcare.domain.radiograph import Side
from hipcare.domain.records import (
    Alert,
    AuditAction,
    AuditEntry,
    CarePlanItemState,
    Child,
    EntityType,
    FamilyContact,
    HipMeasures,
    OperationPlan,
    OperationStatus,
    VisitRecord,
)
from hipcare.storage import SqlAlchemyUnitOfWork

FIXTURES = Path(__file__).parents[2] / "fixtures"
HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    # Each example runs in its own transaction that is rolled back, so the database the
    # function-scoped fixtures made is the same for every example.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

names = st.text(
    alphabet=st.characters(categories=["L", "M"], exclude_characters="\x00"),
    min_size=1,
    max_size=40,
).filter(lambda name: name.strip() != "")
moments = st.datetimes(
    # Hypothesis takes naive bounds and adds the zones itself.
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 -- a naive bound, as Hypothesis requires
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001 -- a naive bound, as Hypothesis requires
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=10)), timezone(timedelta(hours=-5))]),
)


def _child(**changes: object) -> Child:
    values: dict[str, object] = {
        "given_name": "Mai",
        "family_name": "Nguyễn",
        "date_of_birth": date(2021, 5, 17),
        "site_id": HARBOUR,
        "preferred_language": "vi",
        "gmfcs": GMFCS.IV,
        "gestation_weeks": 31.5,
        "contacts": (
            FamilyContact("Lan Nguyễn", "mother", phone="0400 000 001"),
            FamilyContact("Minh Nguyễn", "father", email="minh@example.org"),
        ),
    }
    values.update(changes)
    return Child(**values)  # type: ignore[arg-type]  # test helper: values are checked by Child


@st.composite
def children(draw: st.DrawFn) -> Child:
    contacts = draw(
        st.lists(
            st.builds(
                FamilyContact,
                name=names,
                relationship=st.sampled_from(["mother", "father", "grandmother", "carer"]),
                phone=st.from_regex(r"\+?[0-9]{6,12}", fullmatch=True),
            ),
            max_size=3,
        )
    )
    return Child(
        given_name=draw(names),
        family_name=draw(names),
        date_of_birth=draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))),
        site_id=draw(st.sampled_from([HARBOUR, NORTHERN])),
        preferred_language=draw(st.sampled_from(["en", "ar", "zh-Hans", "zh-Hant", "vi", "fa"])),
        gmfcs=draw(st.none() | st.sampled_from(list(GMFCS))),
        gestation_weeks=draw(
            st.none() | st.floats(min_value=20, max_value=45, allow_nan=False, allow_infinity=False)
        ),
        contacts=tuple(contacts),
    )


finite = {"allow_nan": False, "allow_infinity": False}


@st.composite
def hip_measures(draw: st.DrawFn, side: Side) -> HipMeasures:
    raw = draw(st.none() | st.floats(min_value=-60, max_value=250, **finite))
    return HipMeasures(
        side=side,
        migration_percentage_raw=raw,
        migration_percentage_reported=(
            draw(st.floats(min_value=0, max_value=100, **finite)) if raw is None else None
        ),
        acetabular_index_deg=draw(st.none() | st.floats(min_value=-90, max_value=90, **finite)),
        neck_shaft_angle_deg=draw(st.none() | st.floats(min_value=0, max_value=180, **finite)),
        head_shaft_angle_deg=draw(st.none() | st.floats(min_value=0, max_value=180, **finite)),
    )


def _store_child(uow: SqlAlchemyUnitOfWork, child: Child | None = None) -> int:
    with uow:
        stored = uow.children.add(child or _child())
        uow.commit()
    assert stored.id is not None
    return stored.id


@given(child=children())
@HYPOTHESIS
def test_a_child_comes_back_as_it_was_stored(
    uow: SqlAlchemyUnitOfWork, staff: Staff, child: Child
) -> None:
    """Names in any script, contacts in order, GMFCS, gestation: the same value comes back."""
    with uow:
        stored = uow.children.add(child)
        assert stored.id is not None
        assert uow.children.get(stored.id) == stored
        assert stored == Child(**{**child.__dict__, "id": stored.id})


@given(
    right=st.none() | hip_measures(Side.RIGHT),
    left=st.none() | hip_measures(Side.LEFT),
    recorded_at=moments,
)
@HYPOTHESIS
def test_a_visit_comes_back_with_its_measures_and_a_utc_time(
    uow: SqlAlchemyUnitOfWork,
    staff: Staff,
    right: HipMeasures | None,
    left: HipMeasures | None,
    recorded_at: datetime,
) -> None:
    hips = tuple(hip for hip in (right, left) if hip is not None)
    with uow:
        child = uow.children.add(_child())
        assert child.id is not None
        visit = VisitRecord(
            child_id=child.id,
            visit_date=date(2024, 2, 29),
            xray=bool(hips),
            recorded_by=staff.surgeon,
            recorded_at=recorded_at,
            hips=hips,
        )
        stored = uow.visits.add(visit)
        assert stored.id is not None
        again = uow.visits.get(stored.id)
        assert again == stored
        assert again is not None
        assert again.recorded_at == recorded_at
        assert again.recorded_at.utcoffset() == timedelta(0)
        assert again.hips == visit.hips


def test_a_visit_keeps_its_film_document(uow: SqlAlchemyUnitOfWork, staff: Staff) -> None:
    film = json.loads((FIXTURES / "sample_film.json").read_text(encoding="utf-8"))
    child_id = _store_child(uow)
    with uow:
        stored = uow.visits.add(
            VisitRecord(child_id, date(2025, 1, 10), True, staff.surgeon, NOW, film=film)
        )
        uow.commit()
    with uow:
        assert stored.id is not None
        again = uow.visits.get(stored.id)
    assert again is not None
    assert again.film == film


def test_visits_of_many_children_come_back_oldest_first(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    first, second = _store_child(uow), _store_child(uow, _child(given_name="Omar"))
    with uow:
        for child_id, day in ((first, 20), (second, 5), (first, 3)):
            uow.visits.add(VisitRecord(child_id, date(2025, 6, day), False, staff.nurse, NOW))
        uow.commit()
    with uow:
        found = uow.visits.for_children([first, second])
        assert [visit.visit_date.day for visit in found[first]] == [3, 20]
        assert [visit.visit_date.day for visit in found[second]] == [5]
        assert uow.visits.for_children([]) == {}


def test_a_user_comes_back_with_their_sites_and_is_found_by_email(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    with uow:
        nurse = uow.users.get(staff.nurse)
        assert nurse is not None
        assert nurse.site_ids == {HARBOUR, NORTHERN}
        assert uow.users.by_email("  NURSE@example.org ") == nurse
        assert uow.users.by_email("nobody@example.org") is None
        assert [site.id for site in uow.sites.all()] == [HARBOUR, NORTHERN]


def test_an_operation_plan_and_its_care_plan_items_are_kept_and_updated(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    child_id = _store_child(uow)
    with uow:
        plan = uow.operation_plans.add(
            OperationPlan(
                child_id=child_id,
                sides=Sides.BOTH,
                procedures=(Procedure.VDRO, Procedure.DEGA),
                implant="90 degree cannulated locking blade plate",
                surgeon_id=staff.surgeon,
                weight_bearing=WeightBearing.NON_WEIGHT_BEARING,
                positioning_device=True,
                plate_angle_deg=90.0,
            )
        )
        assert plan.id is not None
        item = uow.care_plan_items.add(
            CarePlanItemState(plan.id, "tell-school", due_date=date(2026, 4, 1))
        )
        uow.commit()
    with uow:
        assert plan.id is not None
        scheduled = OperationPlan(
            **{
                **plan.__dict__,
                "status": OperationStatus.SCHEDULED,
                "surgery_date": date(2026, 5, 4),
            }
        )
        uow.operation_plans.save(scheduled)
        done = CarePlanItemState(
            plan.id, "tell-school", date(2026, 4, 1), NOW, staff.nurse, id=item.id
        )
        uow.care_plan_items.save(done)
        uow.commit()
    with uow:
        assert uow.operation_plans.for_child(child_id) == [scheduled]
        assert uow.operation_plans.get(plan.id) == scheduled
        assert uow.care_plan_items.for_operation_plan(plan.id) == [done]


def test_an_alert_is_raised_and_acknowledged(uow: SqlAlchemyUnitOfWork, staff: Staff) -> None:
    child_id = _store_child(uow)
    with uow:
        alert = uow.alerts.add(Alert(child_id, "red-skin", raised_at=NOW))
        uow.commit()
    with uow:
        acknowledged = Alert(
            child_id, "red-skin", NOW, staff.nurse, NOW + timedelta(minutes=5), id=alert.id
        )
        uow.alerts.save(acknowledged)
        uow.commit()
    with uow:
        assert uow.alerts.for_child(child_id) == [acknowledged]


def test_saving_a_record_that_was_never_stored_is_refused(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    child_id = _store_child(uow)
    with uow, pytest.raises(InvalidInputError, match=r"alert\.id"):
        uow.alerts.save(Alert(child_id, "red-skin", NOW, id=999))
    with uow, pytest.raises(InvalidInputError, match=r"alert\.id: is missing"):
        uow.alerts.save(Alert(child_id, "red-skin", NOW))


def test_audit_entries_are_found_by_record_and_by_actor(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    with uow:
        for minutes, actor in ((2, staff.nurse), (1, staff.surgeon)):
            uow.audit.add(
                AuditEntry(
                    actor,
                    AuditAction.CHILD_READ,
                    EntityType.CHILD,
                    "7",
                    NOW + timedelta(minutes=minutes),
                )
            )
        uow.commit()
    with uow:
        about = uow.audit.for_entity(EntityType.CHILD, "7")
        assert [entry.actor_id for entry in about] == [staff.surgeon, staff.nurse]
        assert [entry.at for entry in uow.audit.by_actor(staff.nurse)] == [
            NOW + timedelta(minutes=2)
        ]


def test_leaving_a_unit_of_work_without_commit_keeps_nothing(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    with uow:
        added = uow.children.add(_child())
    with uow:
        assert added.id is not None
        assert uow.children.get(added.id) is None


def test_a_naive_time_is_refused_before_it_reaches_the_database(engine: Engine) -> None:
    """The column type itself refuses a time without a zone (it would be read back as UTC)."""
    from hipcare.storage.tables import AuditRow

    with engine.connect() as connection, pytest.raises(StatementError, match="naive datetime"):
        connection.execute(
            AuditRow.__table__.insert().values(
                actor_id=1,
                action=AuditAction.CHILD_READ,
                entity_type=EntityType.CHILD,
                entity_id="1",
                at=datetime(2026, 1, 1, 12, 0),  # noqa: DTZ001 -- the naive time under test
            )
        )


def test_name_search_ignores_accents_case_and_wildcards(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    _store_child(uow)
    _store_child(uow, _child(given_name="Zoë", family_name="O'Brien_%", site_id=NORTHERN))
    with uow:
        both = {HARBOUR, NORTHERN}
        assert [c.given_name for c in uow.children.search("nguyen", both, 10)] == ["Mai"]
        assert [c.given_name for c in uow.children.search("zoe o'b", both, 10)] == ["Zoë"]
        assert [c.given_name for c in uow.children.search("_%", both, 10)] == ["Zoë"]
        # Unescaped, "i_" would be a pattern matching the "i " of "mai nguyen".
        assert uow.children.search("i_", both, 10) == []
        assert uow.children.search("nguyen", {NORTHERN}, 10) == []
        assert uow.children.search("nguyen", set(), 10) == []


def test_search_keys_hold_letters_only_from_the_names() -> None:
    """The folded key adds nothing a LIKE pattern could misread besides the name's own text."""
    child = _child(given_name="ÉLODIE", family_name="D'Arcy-Smith")
    assert child.search_key == "elodie d'arcy-smith"
    assert set(child.search_key) <= set(string.ascii_lowercase + " '-")


def test_raw_sql_shows_times_are_stored_in_utc(engine: Engine, is_sqlite: bool) -> None:
    """A time given in Sydney's zone is written as the same instant in UTC."""
    sydney = timezone(timedelta(hours=11))
    with engine.begin() as connection:
        from hipcare.storage.tables import AuditRow

        connection.execute(
            AuditRow.__table__.insert().values(
                actor_id=1,
                action=AuditAction.CHILD_READ,
                entity_type=EntityType.CHILD,
                entity_id="1",
                at=datetime(2026, 1, 1, 9, 0, tzinfo=sydney),
            )
        )
        if is_sqlite:
            stored = connection.execute(text("SELECT at FROM audit_log")).scalar()
            assert str(stored).startswith("2025-12-31 22:00:00")
        else:
            stored = connection.execute(
                text("SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM audit_log")
            ).scalar()
            assert stored == "2025-12-31 22:00"
