"""SQLAlchemy storage of the family's home diary: entries, their photos, pain descriptors.

Part of :class:`hipcare.storage.family.SqlAlchemyFamilyRepository`
(:class:`hipcare.services.ports.FamilyRepository`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from hipcare.domain.diary import DiaryEntry, Urgency
from hipcare.services.family import StoredDiaryEntry
from hipcare.storage.family_base import FamilyStorageBase
from hipcare.storage.tables import DiaryEntryRow, DiaryPhotoRow, PainDescriptorRow

__all__ = ["SqlAlchemyFamilyDiary"]


class SqlAlchemyFamilyDiary(FamilyStorageBase):
    """The diary's entries (with the alert each raised), photos and the child's own words
    for pain, on the ORM session."""

    def add_diary_entry(
        self, entry: DiaryEntry, recorded_by: int, data: Mapping[str, Any], urgency: Urgency
    ) -> int:
        row = DiaryEntryRow(
            child_id=entry.child_id,
            recorded_by=recorded_by,
            recorded_at=entry.recorded_at,
            kind=entry.kind,
            data=dict(data),
            urgency=urgency,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def set_diary_alert(self, entry_id: int, alert_id: int) -> None:
        self._session.execute(
            update(DiaryEntryRow).where(DiaryEntryRow.id == entry_id).values(alert_id=alert_id)
        )

    def diary_for(self, child_id: int, limit: int) -> Sequence[StoredDiaryEntry]:
        rows = self._session.execute(
            select(DiaryEntryRow, DiaryPhotoRow.id)
            .outerjoin(DiaryPhotoRow, DiaryPhotoRow.diary_entry_id == DiaryEntryRow.id)
            .where(DiaryEntryRow.child_id == child_id)
            .order_by(DiaryEntryRow.recorded_at.desc(), DiaryEntryRow.id.desc())
            .limit(limit)
        )
        return [
            StoredDiaryEntry(
                id=row.id,
                child_id=row.child_id,
                recorded_by=row.recorded_by,
                recorded_at=row.recorded_at,
                kind=row.kind,
                data=row.data,
                urgency=row.urgency,
                alert_id=row.alert_id,
                has_photo=photo_id is not None,
            )
            for row, photo_id in rows
        ]

    def add_photo(self, entry_id: int, content_type: str, content: bytes) -> None:
        self._session.add(
            DiaryPhotoRow(diary_entry_id=entry_id, content_type=content_type, content=content)
        )
        self._session.flush()

    def photo(self, entry_id: int) -> tuple[int, str, bytes] | None:
        found = self._session.execute(
            select(DiaryEntryRow.child_id, DiaryPhotoRow.content_type, DiaryPhotoRow.content)
            .join(DiaryEntryRow, DiaryEntryRow.id == DiaryPhotoRow.diary_entry_id)
            .where(DiaryPhotoRow.diary_entry_id == entry_id)
        ).first()
        return None if found is None else (found[0], found[1], found[2])

    def descriptors(self, child_id: int) -> dict[str, str]:
        rows = self._session.scalars(
            select(PainDescriptorRow).where(PainDescriptorRow.child_id == child_id)
        )
        return {row.category: row.text for row in rows}

    def set_descriptors(self, child_id: int, texts: Mapping[str, str], at: datetime) -> None:
        self._session.execute(
            delete(PainDescriptorRow).where(PainDescriptorRow.child_id == child_id)
        )
        for category, text in texts.items():
            if text:
                self._session.add(
                    PainDescriptorRow(
                        child_id=child_id, category=category, text=text, updated_at=at
                    )
                )
        self._session.flush()
