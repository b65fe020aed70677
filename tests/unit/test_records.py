"""Record values, the record forms (JSON -> domain) and storage settings, without a database."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import Procedure, Sides, WeightBearing
from hipcare.domain.radiograph import Side
from hipcare.domain.records import (
    Alert,
    AuditAction,
    AuditEntry,
    CarePlanItemState,
    Child,
    EntityType,
    ExternalIdentifier,
    HipMeasures,
    OperationPlan,
    OperationStatus,
    Profession,
    Role,
    User,
    VisitRecord,
    name_search_key,
    utc_moment,
)
from hipcare.services.records import parse_child, parse_visit
from hipcare.settings import ENVIRONMENT_VARIABLES, Settings

ROOT = Path(__file__).parents[2]
TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _child_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "given_name": "Layla",
        "family_name": "Haddad",
        "date_of_birth": "2021-05-17",
        "site": "harbour-childrens",
    }
    form.update(changes)
    return form


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date_of_birth": "2026-03-03"}, "date_of_birth"),
        ({"date_of_birth": "2021-02-30"}, "date_of_birth"),
        ({"date_of_birth": "17/05/2021"}, "date_of_birth"),
        ({"site": "Not A Slug"}, "site"),
        ({"gmfcs": "VI"}, "gmfcs"),
        ({"gestation_weeks": 12}, "gestation_weeks"),
        ({"gestation_weeks": float("nan")}, "gestation_weeks"),
        ({"given_name": "  "}, "given_name"),
        ({"family_name": None}, "family_name"),
        ({"preferred_language": "Arabic"}, "preferred_language"),
        ({"nickname": "Lolo"}, "nickname"),
        ({"contacts": {"name": "Rania"}}, "contacts"),
        ({"contacts": [{"name": "Rania", "relationship": "mother"}]}, "contacts[0].phone"),
        ({"contacts": [{"name": "R", "relationship": "m", "phone": "call"}]}, "contacts[0].phone"),
        ({"contacts": [{"name": "R", "relationship": "m", "email": "r@"}]}, "contacts[0].email"),
        ({"contacts": [{"name": "R", "relationship": "m", "fax": "1"}]}, "contacts[0].fax"),
        ({"contacts": [{"name": "R", "relationship": "m", "phone": 400}]}, "contacts[0].phone"),
        ({"contacts": ["Rania"]}, "contacts[0]"),
    ],
)
def test_registration_form_errors_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_child(_child_form(**changes), today=TODAY)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"given_name": "Lay\u202ela"}, "given_name"),
        ({"family_name": "Had\u200bdad"}, "family_name"),
        ({"given_name": "Lay\u2066la\u2069"}, "given_name"),
        ({"family_name": "Had\u061cdad"}, "family_name"),
        ({"given_name": "\ufeffLayla"}, "given_name"),
        ({"given_name": "ß" * 101}, "given_name"),
        ({"family_name": "ﷺ" * 12}, "family_name"),
        ({"date_of_birth": "0001-01-01"}, "date_of_birth"),
        ({"date_of_birth": "1899-12-31"}, "date_of_birth"),
    ],
)
def test_implausible_names_and_birth_dates_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    """Bidi overrides, zero-width and separator characters, names too long once folded for
    searching, and birth dates before 1900 are refused (422 on the web), never stored."""
    with pytest.raises(InvalidInputError) as caught:
        parse_child(_child_form(**changes), today=TODAY)
    assert caught.value.field == field


def test_names_keep_the_joiners_persian_and_indic_names_need() -> None:
    """ZWNJ and ZWJ are format characters, but a name like "محمد‌رضا" is spelled with one."""
    child = parse_child(_child_form(given_name="محمد\u200cرضا", family_name="ß" * 100), today=TODAY)
    assert "\u200c" in child.given_name
    assert len(child.search_key) <= 401


def test_a_registration_form_missing_a_name_says_which() -> None:
    form = _child_form()
    del form["family_name"]
    with pytest.raises(InvalidInputError, match="family_name: is missing"):
        parse_child(form, today=TODAY)


def test_a_registration_form_fills_the_defaults() -> None:
    child = parse_child(_child_form(gmfcs="unknown"), today=TODAY)
    assert (child.preferred_language, child.gmfcs, child.contacts) == ("en", None, ())


def _visit(document: object) -> VisitRecord:
    return parse_visit(document, child_id=1, recorded_by=2, recorded_at=NOW)


@pytest.mark.parametrize(
    ("visit", "field"),
    [
        ({"visit_date": "2026-01-05"}, "xray"),
        ({"xray": False}, "visit_date"),
        ({"visit_date": "2026-01-05", "xray": "yes"}, "xray"),
        (
            {"visit_date": "2026-01-05", "xray": False, "right": {"head_shaft_angle_deg": 160}},
            "xray",
        ),
        (
            {"visit_date": "2026-01-05", "xray": True, "right": {"migration_percentage_raw": "40"}},
            "right.migration_percentage_raw",
        ),
        (
            {
                "visit_date": "2026-01-05",
                "xray": True,
                "right": {"migration_percentage_reported": 130},
            },
            "right.migration_percentage_reported",
        ),
        (
            {
                "visit_date": "2026-01-05",
                "xray": True,
                "left": {"migration_percentage_raw": -10, "migration_percentage_reported": 5},
            },
            "left.migration_percentage_reported",
        ),
        (
            {"visit_date": "2026-01-05", "xray": True, "left": {"neck_shaft_angle_deg": 200}},
            "left.neck_shaft_angle_deg",
        ),
        (
            {"visit_date": "2026-01-05", "xray": True, "left": {"acetabular_index_deg": -91}},
            "left.acetabular_index_deg",
        ),
        ({"visit_date": "2026-01-05", "xray": True, "left": {"mp": 20}}, "left.mp"),
        ({"visit_date": "2026-01-05", "xray": True, "left": {}}, "left"),
        ({"visit_date": "2026-01-05", "xray": True, "left": 20}, "left"),
        ({"visit_date": "2026-01-05", "xray": True, "centre": {}}, "centre"),
        (
            {"visit_date": "2026-01-05", "xray": True, "film": {"landmarks": {}}},
            "film.landmarks.triradiate_right",
        ),
        ([], "visit"),
    ],
)
def test_visit_form_errors_name_the_field(visit: object, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _visit(visit)
    assert caught.value.field == field


@given(raw=st.floats(min_value=-500, max_value=500, allow_nan=False))
def test_the_reported_migration_percentage_is_the_raw_one_clamped(raw: float) -> None:
    hip = HipMeasures(Side.RIGHT, migration_percentage_raw=raw)
    assert hip.migration_percentage_reported == min(100.0, max(0.0, raw))


def test_a_visit_becomes_the_surveillance_engines_visit() -> None:
    visit = _visit(
        {
            "visit_date": "2026-01-05",
            "xray": True,
            "left": {"migration_percentage_raw": 33.3, "head_shaft_angle_deg": 158},
        }
    )
    seen = visit.to_surveillance_visit()
    assert (seen.migration("left"), seen.migration("right")) == (33.3, None)
    assert seen.head_shaft_angle("left") == 158


def test_a_visit_refuses_the_same_side_twice() -> None:
    hip = HipMeasures(Side.LEFT, acetabular_index_deg=20)
    with pytest.raises(InvalidInputError, match="same side twice"):
        VisitRecord(1, date(2026, 1, 5), True, 2, NOW, hips=(hip, hip))


@given(text=st.text(max_size=30))
def test_name_search_keys_are_folded_once_and_for_all(text: str) -> None:
    key = name_search_key(text)
    assert name_search_key(key) == key
    assert key == key.strip()
    assert "  " not in key


def test_name_search_keys_drop_accents_and_case() -> None:
    assert name_search_key("  Nguyễn   THỊ  Mai ") == "nguyen thi mai"
    assert name_search_key("Zoë Ørsted-STRAẞE") == "zoe ørsted-strasse"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: User("not-an-email", "X", Role.CLINICIAN, Profession.NURSE), "user.email"),
        (lambda: User("a@example.org", "X", Role.CLINICIAN, None), "user.profession"),
        (
            lambda: User("a@example.org", "X", Role.SITE_ADMINISTRATOR, Profession.NURSE),
            "user.profession",
        ),
        (
            lambda: User(
                "a@example.org",
                "X",
                Role.CLINICIAN,
                Profession.NURSE,
                password_hash="pw",  # noqa: S106 -- a plain password is the mistake under test
            ),
            "user.password_hash",
        ),
        (
            lambda: User("a@example.org", "X", Role.CLINICIAN, Profession.NURSE, "harbour"),  # type: ignore[arg-type]  # the mistake under test
            "user.site_ids",
        ),
        (
            lambda: OperationPlan(
                1, Sides.LEFT, (Procedure.DEGA,), "plate", 2, WeightBearing.AS_TOLERATED, False
            ),
            "operation.procedures",
        ),
        (
            lambda: OperationPlan(
                1,
                Sides.LEFT,
                (Procedure.VDRO,),
                "plate",
                2,
                WeightBearing.AS_TOLERATED,
                False,
                OperationStatus.SCHEDULED,
            ),
            "operation.surgery_date",
        ),
        (
            lambda: OperationPlan(
                1,
                Sides.LEFT,
                (Procedure.VDRO,),
                "plate",
                2,
                WeightBearing.AS_TOLERATED,
                False,
                plate_angle_deg=float("inf"),
            ),
            "operation.plate_angle_deg",
        ),
        (
            lambda: CarePlanItemState(1, "tell-school", date(2026, 4, 1), done_at=NOW),
            "care_plan_item.done_by",
        ),
        (
            lambda: CarePlanItemState(1, "tell-school", datetime(2026, 4, 1, tzinfo=UTC)),
            "care_plan_item.due_date",
        ),
        (
            lambda: Alert(1, "red-skin", NOW, 2, NOW - timedelta(seconds=1)),
            "alert.acknowledged_at",
        ),
        (lambda: Alert(1, "red-skin", "2026-03-02T09:30Z"), "alert.raised_at"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: Alert(1, "red-skin", NOW, acknowledged_by=2), "alert.acknowledged_by"),
        (lambda: Child("x" * 201, "Y", date(2020, 1, 1), "harbour"), "child.given_name"),
        (lambda: Child("X", "Y", date(2020, 1, 1), "harbour", id=0), "child.id"),
        (lambda: Child("X", "Y", date(2020, 1, 1), "harbour", gmfcs="IV"), "child.gmfcs"),  # type: ignore[arg-type]  # the mistake under test
        (
            lambda: Child("X", "Y", date(2020, 1, 1), "harbour", contacts=({"name": "Z"},)),  # type: ignore[arg-type]  # the mistake under test
            "child.contacts[0]",
        ),
        (lambda: VisitRecord(None, date(2026, 1, 5), False, 2, NOW), "visit.child_id"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: VisitRecord(1, date(2026, 1, 5), "no", 2, NOW), "visit.xray"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: VisitRecord(1, date(2026, 1, 5), True, 2, NOW, film=[1, 2]), "visit.film"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: HipMeasures("left", acetabular_index_deg=20), "side"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: HipMeasures(Side.LEFT, acetabular_index_deg="20"), "left.acetabular_index_deg"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: User("a@example.org", "X", "clinician", Profession.NURSE), "user.role"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: AuditEntry(1, "child.read", EntityType.CHILD, "7", NOW), "audit.action"),  # type: ignore[arg-type]  # the mistake under test
        (
            lambda: AuditEntry(1, AuditAction.CHILD_READ, "child", "7", NOW),  # type: ignore[arg-type]  # the mistake under test
            "audit.entity_type",
        ),
    ],
)
def test_impossible_records_are_refused_naming_the_field(build: Any, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        build()
    assert caught.value.field == field


def test_an_audit_entry_id_cannot_carry_a_name_with_spaces() -> None:
    with pytest.raises(InvalidInputError, match=r"audit\.entity_id"):
        AuditEntry(1, AuditAction.CHILD_READ, EntityType.CHILD, "Mai Nguyen", NOW)


def test_times_must_carry_a_zone_and_are_kept_in_utc() -> None:
    sydney = timezone(timedelta(hours=11))
    assert utc_moment(datetime(2026, 1, 1, 9, tzinfo=sydney), "at") == datetime(
        2025, 12, 31, 22, tzinfo=UTC
    )
    with pytest.raises(InvalidInputError, match="no time zone"):
        utc_moment(datetime(2026, 1, 1, 9), "at")  # noqa: DTZ001 -- the naive time under test


# --- settings ---------------------------------------------------------------------------------


def test_settings_default_to_a_sqlite_file_in_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_environ({})
    assert settings.data_dir == tmp_path / "var"
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'hipcare.sqlite3'}"


def test_settings_take_the_data_dir_and_database_url_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_environ({"HIPCARE_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'hipcare.sqlite3'}"
    url = "postgresql+psycopg://hipcare@db.example.org/hipcare"
    assert Settings.from_environ({"HIPCARE_DATABASE_URL": url}).database_url == url


def test_every_setting_is_documented() -> None:
    """docs/storage.md names every environment variable Settings reads."""
    documented = set(
        re.findall(r"HIPCARE_[A-Z_]+", (ROOT / "docs" / "storage.md").read_text(encoding="utf-8"))
    )
    assert set(ENVIRONMENT_VARIABLES) <= documented


def _operation(**changes: Any) -> OperationPlan:
    values: dict[str, Any] = {
        "child_id": 1,
        "sides": Sides.LEFT,
        "procedures": (Procedure.VDRO,),
        "implant": "90 degree blade plate",
        "surgeon_id": 2,
        "weight_bearing": WeightBearing.AS_TOLERATED,
        "positioning_device": False,
    }
    values.update(changes)
    return OperationPlan(**values)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sides": "left"}, "operation.sides"),
        ({"procedures": ("vdro",)}, "operation.procedures"),
        ({"procedures": (Procedure.VDRO, Procedure.VDRO)}, "operation.procedures"),
        ({"weight_bearing": "as-tolerated"}, "operation.weight_bearing"),
        ({"positioning_device": "yes"}, "operation.positioning_device"),
        ({"status": "done"}, "operation.status"),
        ({"plate_angle_deg": 180}, "operation.plate_angle_deg"),
        ({"plate_angle_deg": 1e-320}, "operation.plate_angle_deg"),
        ({"plate_angle_deg": 59.9}, "operation.plate_angle_deg"),
        ({"implant": ""}, "operation.implant"),
        ({"status": OperationStatus.DONE}, "operation.surgery_date"),
        ({"wheelchair_user": "yes"}, "operation.wheelchair_user"),
        ({"attends_school": 1}, "operation.attends_school"),
        ({"sees_therapists": "unknown"}, "operation.sees_therapists"),
    ],
)
def test_impossible_operation_plans_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _operation(**changes)
    assert caught.value.field == field


def test_a_care_plan_item_is_done_once_it_has_a_time_and_a_person() -> None:
    assert not CarePlanItemState(1, "tell-school", date(2026, 4, 1)).done
    assert CarePlanItemState(1, "tell-school", date(2026, 4, 1), NOW, 3).done


def test_only_a_surgeon_has_a_surgeon_preference_profile() -> None:
    surgeon = User(
        "a@example.org", "X", Role.CLINICIAN, Profession.SURGEON, surgeon_profile="hip-default"
    )
    assert surgeon.surgeon_profile == "hip-default"
    with pytest.raises(InvalidInputError) as caught:
        User("b@example.org", "Y", Role.CLINICIAN, Profession.NURSE, surgeon_profile="hip-default")
    assert caught.value.field == "user.surgeon_profile"


def test_an_operation_plan_keeps_the_family_questions_as_yes_no_or_unknown() -> None:
    """wheelchair_user, attends_school and sees_therapists are True, False or None (not known)."""
    plan = _operation(wheelchair_user=True, attends_school=False, sees_therapists=None)
    assert (plan.wheelchair_user, plan.attends_school, plan.sees_therapists) == (True, False, None)


def _identifier(**changes: Any) -> ExternalIdentifier:
    values: dict[str, Any] = {
        "entity_type": EntityType.CHILD,
        "entity_id": 7,
        "system": "https://fhir.example.org/mrn",
        "value": "MRN-0042",
    }
    values.update(changes)
    return ExternalIdentifier(**values)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"entity_type": "child"}, "identifier.entity_type"),
        ({"entity_id": 0}, "identifier.entity_id"),
        ({"entity_id": None}, "identifier.entity_id"),
        ({"system": ""}, "identifier.system"),
        ({"system": None}, "identifier.system"),
        ({"system": " https://fhir.example.org/mrn"}, "identifier.system"),
        ({"system": "https://" + "x" * 248}, "identifier.system"),
        ({"value": "   "}, "identifier.value"),
        ({"value": "MRN-0042\n"}, "identifier.value"),
        ({"value": "9" * 256}, "identifier.value"),
    ],
)
def test_impossible_external_identifiers_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _identifier(**changes)
    assert caught.value.field == field


def test_an_external_identifier_may_be_255_characters_long() -> None:
    """The length limit of system and value is 255 characters, inclusive."""
    identifier = _identifier(system="https://" + "x" * 247, value="9" * 255)
    assert (len(identifier.system), len(identifier.value)) == (255, 255)
