"""SQLAlchemy storage of radiograph films, their files and readings (issue 6).

Implements :class:`hipcare.services.ports.RadiographRepository`
(:class:`hipcare.storage.SqlAlchemyUnitOfWork` makes it). A file's
bytes are kept once per SHA-256 in ``radiograph_files``; film rows never load them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from hipcare.services.ports.radiographs import OverlayImage
from hipcare.services.radiographs import Reading, StoredFilm
from hipcare.storage.tables import (
    RadiographFileRow,
    RadiographOverlayRow,
    RadiographReadingRow,
    RadiographRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["SqlAlchemyRadiographRepository"]


def film_from_row(row: RadiographRow) -> StoredFilm:
    spacing = (
        None
        if row.pixel_spacing_row_mm is None or row.pixel_spacing_column_mm is None
        else (row.pixel_spacing_row_mm, row.pixel_spacing_column_mm)
    )
    return StoredFilm(
        child_id=row.child_id,
        sha256=row.sha256,
        image_format=row.image_format,
        rows=row.rows,
        columns=row.columns,
        photometric_interpretation=row.photometric_interpretation,
        pixel_spacing_mm=spacing,
        pixel_spacing_source=row.pixel_spacing_source,
        window_centre=row.window_centre,
        window_width=row.window_width,
        study_date=row.study_date,
        film_date=row.film_date,
        identifier_warnings=tuple(str(text) for text in row.identifier_warnings),
        stored_by=row.stored_by,
        stored_at=row.stored_at,
        id=row.id,
    )


def reading_from_row(row: RadiographReadingRow) -> Reading:
    return Reading(
        radiograph_id=row.radiograph_id,
        measured_by=row.measured_by,
        measured_at=row.measured_at,
        document=row.document,
        measures=row.measures,
        visit_id=row.visit_id,
        id=row.id,
        confirmed_by=row.confirmed_by,
        confirmed_at=row.confirmed_at,
        confirmation=row.confirmation,
    )


class SqlAlchemyRadiographRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add_file(self, sha256: str, content: bytes) -> None:
        if self._session.get(RadiographFileRow, sha256) is None:
            self._session.add(
                RadiographFileRow(sha256=sha256, size_bytes=len(content), content=content)
            )
            self._session.flush()

    def file(self, sha256: str) -> bytes | None:
        content: bytes | None = self._session.scalar(
            select(RadiographFileRow.content).where(RadiographFileRow.sha256 == sha256)
        )
        return content

    def add(self, film: StoredFilm) -> StoredFilm:
        row = RadiographRow(
            child_id=film.child_id,
            sha256=film.sha256,
            image_format=film.image_format,
            rows=film.rows,
            columns=film.columns,
            photometric_interpretation=film.photometric_interpretation,
            pixel_spacing_row_mm=None
            if film.pixel_spacing_mm is None
            else film.pixel_spacing_mm[0],
            pixel_spacing_column_mm=(
                None if film.pixel_spacing_mm is None else film.pixel_spacing_mm[1]
            ),
            pixel_spacing_source=film.pixel_spacing_source,
            window_centre=film.window_centre,
            window_width=film.window_width,
            study_date=film.study_date,
            film_date=film.film_date,
            identifier_warnings=list(film.identifier_warnings),
            stored_by=film.stored_by,
            stored_at=film.stored_at,
        )
        self._session.add(row)
        self._session.flush()
        return film_from_row(row)

    def get(self, film_id: int) -> StoredFilm | None:
        row = self._session.get(RadiographRow, film_id)
        return None if row is None else film_from_row(row)

    def for_child(self, child_id: int) -> Sequence[StoredFilm]:
        rows = self._session.scalars(
            select(RadiographRow)
            .where(RadiographRow.child_id == child_id)
            .order_by(RadiographRow.film_date.desc(), RadiographRow.id.desc())
        )
        return [film_from_row(row) for row in rows]

    def add_reading(self, reading: Reading) -> Reading:
        document: dict[str, Any] = dict(reading.document)
        measures: dict[str, Any] = dict(reading.measures)
        row = RadiographReadingRow(
            radiograph_id=reading.radiograph_id,
            measured_by=reading.measured_by,
            measured_at=reading.measured_at,
            document=document,
            measures=measures,
            visit_id=reading.visit_id,
        )
        self._session.add(row)
        self._session.flush()
        return reading_from_row(row)

    def confirm_reading(self, reading: Reading) -> Reading:
        row = self._session.get(RadiographReadingRow, reading.id)
        if row is None:  # pragma: no cover -- the use case read it in this transaction
            raise LookupError(f"no reading {reading.id}")
        row.confirmed_by = reading.confirmed_by
        row.confirmed_at = reading.confirmed_at
        row.confirmation = reading.confirmation
        self._session.flush()
        return reading_from_row(row)

    def put_overlay(self, reading_id: int, overlay: OverlayImage) -> None:
        self._session.merge(
            RadiographOverlayRow(
                reading_id=reading_id,
                media_type=overlay.media_type,
                width=overlay.width,
                height=overlay.height,
                content=overlay.content,
            )
        )
        self._session.flush()

    def overlay(self, reading_id: int) -> OverlayImage | None:
        row = self._session.get(RadiographOverlayRow, reading_id)
        if row is None:
            return None
        return OverlayImage(
            media_type=row.media_type, width=row.width, height=row.height, content=row.content
        )

    def hold(self, film_id: int) -> None:
        # SELECT ... FOR UPDATE: PostgreSQL makes a second reading's transaction wait here
        # until the first commits, and then it sees that reading. SQLite has no row locks
        # (SQLAlchemy leaves the clause out); its BEGIN IMMEDIATE holds the whole database.
        self._session.execute(
            select(RadiographRow.id).where(RadiographRow.id == film_id).with_for_update()
        )

    def readings(self, film_id: int) -> Sequence[Reading]:
        rows = self._session.scalars(
            select(RadiographReadingRow)
            .where(RadiographReadingRow.radiograph_id == film_id)
            .order_by(RadiographReadingRow.measured_at, RadiographReadingRow.id)
        )
        return [reading_from_row(row) for row in rows]
