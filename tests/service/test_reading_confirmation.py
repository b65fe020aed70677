"""Provisional and confirmed readings, kept overlays and the planner's starting angle (issue
16), over every storage engine: memory, SQLite and PostgreSQL.

The film is stored through the repository (the reader is an entry point's concern, tested in
tests/integration/web/test_web_radiographs.py); the overlay drawer is a fake that records what
it was asked and answers a small image, so these tests see when a drawing happens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.staff import HARBOUR, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph import Side
from hipcare.domain.readings import ReadingConfirmation
from hipcare.domain.records import AuditAction, EntityType
from hipcare.services.access import PermissionDeniedError
from hipcare.services.ports import UnitOfWork
from hipcare.services.radiographs import (
    OverlayImage,
    StoredFilm,
    confirm_reading,
    confirmed_neck_shaft_angles,
    reading_overlay,
    record_reading,
    save_reading,
)
from hipcare.services.records import get_child, register_child

CONTENT = load_content()
SAMPLE = json.loads((Path(__file__).parents[1] / "fixtures" / "sample_film.json").read_text())
LANDMARKS: dict[str, Any] = SAMPLE["landmarks"]


class FakeDrawer:
    """Draws nothing: answers a few bytes and remembers each document it was handed."""

    def __init__(self) -> None:
        self.drawn: list[Mapping[str, Any]] = []

    def __call__(self, content: bytes, document: Mapping[str, Any]) -> OverlayImage:
        self.drawn.append(document)
        return OverlayImage("image/webp", 10, 12, b"overlay-%d" % len(self.drawn))


def _moved(dx: float) -> dict[str, Any]:
    """The sample landmarks with each head's lateral edge moved ``dx`` pixels medially."""
    moved: dict[str, Any] = json.loads(json.dumps(LANDMARKS))
    moved["right"]["head_lateral"][0] += dx
    moved["left"]["head_lateral"][0] -= dx
    return moved


def _child_with_film(uow: UnitOfWork, staff: Staff, film_date: date = TODAY) -> tuple[int, int]:
    child = register_child(
        uow,
        staff.nurse,
        {
            "given_name": "Amira",
            "family_name": "Synthetic",
            "date_of_birth": "2018-03-14",
            "site": HARBOUR,
            "preferred_language": "en",
            "gmfcs": "IV",
            "contacts": [{"name": "A parent", "relationship": "mother", "phone": "0400 111 222"}],
        },
        today=TODAY,
        now=NOW,
        rules=CONTENT.surveillance_rules,
    )
    assert child.id is not None
    return child.id, _film(uow, staff, child.id, film_date)


def _film(uow: UnitOfWork, staff: Staff, child_id: int, film_date: date) -> int:
    sha256 = f"{child_id:032x}{film_date.toordinal():032x}"
    with uow:
        uow.radiographs.add_file(sha256, b"the film's bytes")
        film = uow.radiographs.add(
            StoredFilm(
                child_id=child_id,
                sha256=sha256,
                image_format="dicom",
                rows=3000,
                columns=2500,
                photometric_interpretation="MONOCHROME2",
                pixel_spacing_mm=(0.15, 0.15),
                pixel_spacing_source="PixelSpacing",
                window_centre=7000.0,
                window_width=10000.0,
                study_date=film_date,
                film_date=film_date,
                identifier_warnings=(),
                stored_by=staff.nurse,
                stored_at=NOW,
            )
        )
        uow.commit()
    assert film.id is not None
    return film.id


def _save(uow: UnitOfWork, actor: int, film_id: int, landmarks: Any, drawer: Any = None) -> int:
    reading = save_reading(
        uow,
        actor,
        film_id,
        {"landmarks": landmarks},
        now=NOW,
        rules=CONTENT.surveillance_rules,
        draw_overlay=drawer,
    )
    assert reading.id is not None
    return reading.id


def _readings(uow: UnitOfWork, film_id: int) -> dict[int, Any]:
    with uow:
        return {reading.id: reading for reading in uow.radiographs.readings(film_id)}


def _actions(uow: UnitOfWork, film_id: int) -> list[str]:
    with uow:
        return [e.action.value for e in uow.audit.for_entity(EntityType.RADIOGRAPH, str(film_id))]


def _right_mp(uow: UnitOfWork, staff: Staff, child_id: int) -> float | None:
    record = get_child(uow, staff.nurse, child_id, now=NOW)
    (visit,) = record.visits
    (right,) = [hip for hip in visit.hips if hip.side is Side.RIGHT]
    return right.migration_percentage_reported


def test_a_reading_is_saved_provisional_with_its_overlay_drawn_once(
    uow: UnitOfWork, staff: Staff
) -> None:
    drawer = FakeDrawer()
    _, film_id = _child_with_film(uow, staff)
    reading_id = _save(uow, staff.nurse, film_id, LANDMARKS, drawer)
    assert len(drawer.drawn) == 1
    (reading,) = _readings(uow, film_id).values()
    assert reading.provisional
    assert record_reading([reading]) == reading
    kept = reading_overlay(
        uow, staff.surgeon, film_id, reading_id, now=NOW, draw_overlay=FakeDrawer()
    )
    assert kept.content == b"overlay-1"
    assert len(drawer.drawn) == 1, "the view sent the kept overlay, it drew nothing"


def test_an_overlay_never_kept_is_drawn_on_its_first_request_and_kept(
    uow: UnitOfWork, staff: Staff
) -> None:
    _, film_id = _child_with_film(uow, staff)
    reading_id = _save(uow, staff.nurse, film_id, LANDMARKS)
    drawer = FakeDrawer()
    first = reading_overlay(uow, staff.nurse, film_id, reading_id, now=NOW, draw_overlay=drawer)
    again = reading_overlay(uow, staff.nurse, film_id, reading_id, now=NOW, draw_overlay=drawer)
    assert first == again
    assert len(drawer.drawn) == 1
    assert _actions(uow, film_id).count(AuditAction.RADIOGRAPH_READ.value) == 2


def test_an_agreeing_second_reading_confirms_the_first(uow: UnitOfWork, staff: Staff) -> None:
    child_id, film_id = _child_with_film(uow, staff)
    first = _save(uow, staff.nurse, film_id, LANDMARKS)
    _save(uow, staff.surgeon, film_id, _moved(10))  # 2.2 and 3.4 points at full size
    readings = _readings(uow, film_id)
    assert readings[first].confirmation is ReadingConfirmation.SECOND_READING
    assert readings[first].confirmed_by == staff.surgeon
    assert record_reading(list(readings.values())) == readings[first]
    assert AuditAction.RADIOGRAPH_CONFIRMED.value in _actions(uow, film_id)
    assert _right_mp(uow, staff, child_id) == 45.0


def test_readings_beyond_the_change_error_stay_provisional(uow: UnitOfWork, staff: Staff) -> None:
    child_id, film_id = _child_with_film(uow, staff)
    _save(uow, staff.nurse, film_id, LANDMARKS)
    _save(uow, staff.surgeon, film_id, _moved(30))  # 7.2 and 11.1 points
    assert all(reading.provisional for reading in _readings(uow, film_id).values())
    assert AuditAction.RADIOGRAPH_CONFIRMED.value not in _actions(uow, film_id)
    # While only provisional readings exist the engine uses the first (the visit it made).
    assert _right_mp(uow, staff, child_id) == 45.0


def test_a_surgeon_confirms_another_reading_which_becomes_the_visits_measure(
    uow: UnitOfWork, staff: Staff
) -> None:
    child_id, film_id = _child_with_film(uow, staff)
    mine = _save(uow, staff.surgeon, film_id, LANDMARKS)
    theirs = _save(uow, staff.nurse, film_id, _moved(30))
    with pytest.raises(PermissionDeniedError):
        confirm_reading(
            uow, staff.nurse, film_id, theirs, now=NOW, rules=CONTENT.surveillance_rules
        )
    with pytest.raises(InvalidInputError) as own:
        confirm_reading(
            uow, staff.surgeon, film_id, mine, now=NOW, rules=CONTENT.surveillance_rules
        )
    assert own.value.field == "reading"
    confirmed = confirm_reading(
        uow, staff.surgeon, film_id, theirs, now=NOW, rules=CONTENT.surveillance_rules
    )
    assert confirmed.confirmation is ReadingConfirmation.SURGEON
    assert confirmed.confirmed_by == staff.surgeon
    assert _right_mp(uow, staff, child_id) == confirmed.measures["right"]["migration_percentage"]
    actions = _actions(uow, film_id)
    assert actions.count(AuditAction.RADIOGRAPH_CONFIRMED.value) == 1
    assert AuditAction.ACCESS_DENIED.value in actions
    with pytest.raises(InvalidInputError, match="already confirmed"):
        confirm_reading(
            uow, staff.surgeon, film_id, theirs, now=NOW, rules=CONTENT.surveillance_rules
        )


def test_the_planner_starts_from_the_newest_confirmed_neck_shaft_angle(
    uow: UnitOfWork, staff: Staff
) -> None:
    """A newer film with only a provisional reading does not start the planner."""
    child_id, older = _child_with_film(uow, staff, TODAY - timedelta(days=200))
    assert confirmed_neck_shaft_angles(uow, staff.nurse, child_id, now=NOW) == {}
    _save(uow, staff.nurse, older, LANDMARKS)
    _save(uow, staff.surgeon, older, LANDMARKS)
    newer = _film(uow, staff, child_id, TODAY)
    _save(uow, staff.nurse, newer, _moved(10))
    angles = confirmed_neck_shaft_angles(uow, staff.nurse, child_id, now=NOW)
    assert set(angles) == {Side.RIGHT}  # the sample film marks the right neck only
    assert angles[Side.RIGHT].film_date == TODAY - timedelta(days=200)
    (first, _) = sorted(_readings(uow, older).values(), key=lambda reading: reading.id)
    assert angles[Side.RIGHT].angle_deg == first.measures["right"]["neck_shaft_angle_deg"]
    with pytest.raises(PermissionDeniedError):
        confirmed_neck_shaft_angles(uow, staff.physiotherapist, child_id, now=NOW)
