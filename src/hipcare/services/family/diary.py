"""The home diary: parse and record an entry (pain, skin, medicine, unwell) with its photo, read
the diary, and the child's own pain descriptors.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from hipcare.domain.diary import (
    R_FLACC_CATEGORIES,
    DiaryEntry,
    DiaryKind,
    DiaryRules,
    MedicineGiven,
    NumericPain,
    RFlacc,
    SkinCheck,
    SkinFinding,
    SurgeryPhase,
    Unwell,
    assess,
)
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    Alert,
    AuditAction,
    EntityType,
    OperationStatus,
    refuse_control_characters,
    utc_moment,
)
from hipcare.services.access import find_actor, write_audit
from hipcare.services.family.access import readable_child, stored_user_id
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.family import DiaryRecord, StoredDiaryEntry

__all__ = [
    "PHOTO_MAX_BYTES",
    "PHOTO_TYPES",
    "diary_entries",
    "diary_photo",
    "pain_descriptors",
    "parse_diary_entry",
    "record_diary_entry",
    "save_pain_descriptors",
    "surgery_phase",
]


PHOTO_MAX_BYTES = 5 * 1024 * 1024


PHOTO_TYPES: Mapping[str, bytes] = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
"""Accepted photo types and the bytes each file must start with (the type is not trusted)."""


def _int(value: object, field: str) -> object:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidInputError(field, "choose a score")
        try:
            return int(text)
        except ValueError:
            raise InvalidInputError(field, f"{text!r} is not a whole number") from None
    return value


def parse_diary_entry(
    child_id: int, document: Mapping[str, Any], *, now: datetime, has_photo: bool = False
) -> tuple[DiaryEntry, dict[str, Any]]:
    """A diary entry from a form or JSON: ``kind`` and that kind's fields; returns the entry
    and the JSON-shaped data stored with it."""
    try:
        kind = DiaryKind(str(document.get("kind", "")))
    except ValueError:
        choices = ", ".join(kind.value for kind in DiaryKind)
        raise InvalidInputError("kind", f"choose one of {choices}") from None
    measure: RFlacc | NumericPain | SkinCheck | MedicineGiven | Unwell
    data: dict[str, Any]
    if kind is DiaryKind.PAIN_R_FLACC:
        scores = {name: _int(document.get(name), name) for name in R_FLACC_CATEGORIES}
        measure = RFlacc(**scores)  # type: ignore[arg-type]  # checked by RFlacc itself
        data = {name: getattr(measure, name) for name in R_FLACC_CATEGORIES}
        data["total"] = measure.total
    elif kind is DiaryKind.PAIN_NUMERIC:
        measure = NumericPain(_int(document.get("pain_score"), "pain_score"))  # type: ignore[arg-type]  # checked by NumericPain
        data = {"pain_score": measure.score}
    elif kind is DiaryKind.SKIN:
        try:
            finding = SkinFinding(str(document.get("skin_finding", "")))
        except ValueError:
            raise InvalidInputError("skin_finding", "choose what you saw on the skin") from None
        measure = SkinCheck(finding, document.get("skin_where") or "", has_photo)
        data = {"skin_finding": finding.value, "skin_where": measure.where}
        if finding.npiap_stage is not None:
            data["npiap_stage"] = finding.npiap_stage
    elif kind is DiaryKind.MEDICINE:
        given = document.get("given_at")
        if isinstance(given, str) and given.strip():
            try:
                moment = datetime.fromisoformat(given.strip())
            except ValueError:
                raise InvalidInputError("given_at", "write the time as YYYY-MM-DDTHH:MM") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=now.tzinfo)
        else:
            moment = now
        if moment > now + timedelta(minutes=5):
            raise InvalidInputError("given_at", "is in the future")
        measure = MedicineGiven(moment, document.get("medicine") or "")
        data = {"given_at": measure.given_at.isoformat(), "medicine": measure.medicine}
    else:
        measure = Unwell(document.get("description") or "")
        data = {"description": measure.description}
    entry = DiaryEntry(child_id, now, measure, document.get("note") or "")
    if entry.note:
        data["note"] = entry.note
    return entry, data


def _photo(photo: tuple[str, bytes] | None) -> tuple[str, bytes] | None:
    if photo is None or not photo[1]:
        return None
    content_type, content = photo
    if content_type not in PHOTO_TYPES:
        raise InvalidInputError("photo", "send a JPEG or PNG photo")
    if len(content) > PHOTO_MAX_BYTES:
        raise InvalidInputError("photo", f"is larger than {PHOTO_MAX_BYTES // (1024 * 1024)} MB")
    if not content.startswith(PHOTO_TYPES[content_type]):
        raise InvalidInputError("photo", f"is not a real {content_type.split('/')[1]} image")
    return content_type, content


def surgery_phase(uow: UnitOfWork, child_id: int, today: date) -> SurgeryPhase:
    """After surgery once an operation of the child is done or its day has come; before it
    otherwise (also for a child with no operation planned). For a page that has checked the
    reader already (the diary page)."""
    with uow:
        return _surgery_phase(uow, child_id, today)


def _surgery_phase(uow: UnitOfWork, child_id: int, today: date) -> SurgeryPhase:
    for operation in uow.operation_plans.for_child(child_id):
        if operation.status is OperationStatus.CANCELLED:
            continue
        if operation.status is OperationStatus.DONE or (
            operation.surgery_date is not None and operation.surgery_date <= today
        ):
            return SurgeryPhase.AFTER_SURGERY
    return SurgeryPhase.BEFORE_SURGERY


def record_diary_entry(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    document: Mapping[str, Any],
    rules: DiaryRules,
    *,
    now: datetime,
    photo: tuple[str, bytes] | None = None,
) -> DiaryRecord:
    """Store a family diary entry; an entry past a threshold raises a care-team alert
    (kind ``diary-<entry kind>``) in the same transaction."""
    now = utc_moment(now, "now")
    checked_photo = _photo(photo)
    entry, data = parse_diary_entry(
        child_id, document, now=now, has_photo=checked_photo is not None
    )
    if checked_photo is not None and entry.kind is not DiaryKind.SKIN:
        raise InvalidInputError("photo", "a photo goes with a skin check")
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=False)
        assessment = assess(entry, rules, _surgery_phase(uow, child_id, now.date()))
        data["rules"] = [rule.id for rule in assessment.fired]
        entry_id = uow.family.add_diary_entry(
            entry, stored_user_id(actor), data, assessment.urgency
        )
        alert_id = None
        if assessment.raises_alert:
            alert = uow.alerts.add(Alert(child_id, f"diary-{entry.kind.value}", now))
            alert_id = alert.id
            if alert_id is not None:
                uow.family.set_diary_alert(entry_id, alert_id)
            write_audit(uow, actor, AuditAction.ALERT_RAISED, EntityType.CHILD, child_id, now)
        if checked_photo is not None:
            uow.family.add_photo(entry_id, *checked_photo)
        write_audit(uow, actor, AuditAction.DIARY_RECORDED, EntityType.CHILD, child_id, now)
        uow.commit()
    stored = StoredDiaryEntry(
        id=entry_id,
        child_id=child_id,
        recorded_by=stored_user_id(actor),
        recorded_at=now,
        kind=entry.kind,
        data=data,
        urgency=assessment.urgency,
        alert_id=alert_id,
        has_photo=checked_photo is not None,
    )
    return DiaryRecord(stored, assessment)


def diary_entries(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    *,
    now: datetime,
    limit: int = 50,
    audit: bool = True,
) -> list[StoredDiaryEntry]:
    """The child's newest diary entries, for linked family and staff of the child's site
    (``audit=False`` only where the page showing them is audited already)."""
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=True)
        entries = list(uow.family.diary_for(child_id, limit))
        if audit:
            write_audit(uow, actor, AuditAction.DIARY_READ, EntityType.CHILD, child_id, now)
            uow.commit()
    return entries


def diary_photo(
    uow: UnitOfWork, actor_id: int, child_id: int, entry_id: int, *, now: datetime
) -> tuple[str, bytes]:
    """A skin-check photo, for that child's family and the care team only."""
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=True)
        found = uow.family.photo(entry_id)
        if found is None or found[0] != child_id:
            raise InvalidInputError("entry_id", f"no photo for diary entry {entry_id}")
        write_audit(uow, actor, AuditAction.DIARY_READ, EntityType.CHILD, child_id, now)
        uow.commit()
    return found[1], found[2]


def pain_descriptors(
    uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime
) -> dict[str, str]:
    """The parent's own words for how their child shows pain, per r-FLACC category."""
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=True)
        return uow.family.descriptors(child_id)


def save_pain_descriptors(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    texts: Mapping[str, object],
    *,
    now: datetime,
) -> dict[str, str]:
    """Keep the parent's own descriptors (empty text removes one)."""
    now = utc_moment(now, "now")
    cleaned: dict[str, str] = {}
    for category in R_FLACC_CATEGORIES:
        value = texts.get(category, "")
        if isinstance(value, str):
            refuse_control_characters(value, category, multiline=True)
        text = " ".join(value.split()) if isinstance(value, str) else ""
        if len(text) > 500:
            raise InvalidInputError(category, "is longer than 500 characters; shorten it")
        cleaned[category] = text
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=False)
        uow.family.set_descriptors(child_id, cleaned, now)
        write_audit(uow, actor, AuditAction.DIARY_RECORDED, EntityType.CHILD, child_id, now)
        uow.commit()
    return {key: value for key, value in cleaned.items() if value}
