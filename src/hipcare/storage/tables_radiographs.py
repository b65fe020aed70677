"""The tables of radiographs (issue 6): the stored files, the films, their readings and overlays.

On the one ``Base.metadata`` of ``hipcare.storage.tables_base``; re-exported by
``hipcare.storage.tables``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hipcare.domain.readings import ReadingConfirmation
from hipcare.storage.tables_base import RECORD_ID, Base, choice_type

__all__ = [
    "RadiographFileRow",
    "RadiographOverlayRow",
    "RadiographReadingRow",
    "RadiographRow",
]


class RadiographFileRow(Base):
    """The bytes of an uploaded radiograph file, addressed by their SHA-256 (issue 6).

    Kept in the database, like every other piece of state (ADR 7: no state in a process or
    on one server's disk), and once per content: two uploads of the same file share a row.
    """

    __tablename__ = "radiograph_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class RadiographRow(Base):
    """A film kept with a child's record: what was read from the file, who stored it, when."""

    __tablename__ = "radiographs"
    __table_args__ = (
        CheckConstraint("image_format IN ('dicom', 'png', 'jpeg')", name="image_format"),
    )

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("radiograph_files.sha256"))
    image_format: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[int] = mapped_column(Integer)
    photometric_interpretation: Mapped[str] = mapped_column(String(32))
    pixel_spacing_row_mm: Mapped[float | None] = mapped_column(Float)
    pixel_spacing_column_mm: Mapped[float | None] = mapped_column(Float)
    pixel_spacing_source: Mapped[str | None] = mapped_column(String(32))
    window_centre: Mapped[float] = mapped_column(Float)
    window_width: Mapped[float] = mapped_column(Float)
    study_date: Mapped[date | None]
    film_date: Mapped[date]
    identifier_warnings: Mapped[list[Any]] = mapped_column(JSON)
    stored_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stored_at: Mapped[datetime]


class RadiographReadingRow(Base):
    """One clinician's landmarks on a film and the server's measures from them.

    ``document`` is the ``hipcare measure`` input (coordinates in the ORIGINAL film's pixels);
    ``measures`` its output as saved. One reading per clinician per film.
    """

    __tablename__ = "radiograph_readings"
    __table_args__ = (UniqueConstraint("radiograph_id", "measured_by"),)

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    radiograph_id: Mapped[int] = mapped_column(
        ForeignKey("radiographs.id", ondelete="CASCADE"), index=True
    )
    measured_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    measured_at: Mapped[datetime]
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    measures: Mapped[dict[str, Any]] = mapped_column(JSON)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    # Who confirmed the reading, when and how (issue 16): None while it is provisional.
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    confirmation: Mapped[ReadingConfirmation | None] = mapped_column(
        choice_type(ReadingConfirmation, "confirmation")
    )


class RadiographOverlayRow(Base):
    """A reading's overlay image (the film with its lines and measures, at most
    1024 px), drawn once when the reading is saved so that no page view draws one (issue 16).
    Kept apart from the reading so that listing readings never loads the image."""

    __tablename__ = "radiograph_overlays"

    reading_id: Mapped[int] = mapped_column(
        ForeignKey("radiograph_readings.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
