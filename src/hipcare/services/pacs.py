"""Films from PACS: search a DICOMweb server for a child's series and pull one onto the record.

- :func:`search_pacs` asks the PACS (QIDO-RS, through the ``Pacs`` port the entry point hands
  in) for every series whose Patient ID is one of the child's hospital numbers, of studies on
  a date when one is given; audited ``pacs.searched`` on the child.
- :func:`pull_series` first asks the PACS again whether the chosen series belongs to one of
  the child's hospital numbers (nothing of another patient is fetched), then retrieves its
  images (WADO-RS) and stores each through :func:`hipcare.services.radiographs.store_radiograph`
  — the upload's own path, with the upload's identifier check and nothing confirmed: a file
  whose patient name, birth date or Patient ID differs from the record is refused with the
  reason, nothing kept, audited ``pacs.pull-refused``. A stored image is audited
  ``radiograph.stored`` as an upload is.

Clinicians of the child's site only (refusals audited ``access.denied``). Identifiers read
from the PACS are patient data: shown to the clinician, never logged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, Child, EntityType, Role
from hipcare.services.access import child_for, deny, find_actor, write_audit
from hipcare.services.json_input import parse_date
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.pacs import Pacs, PacsSeries
from hipcare.services.ports.radiographs import RadiographReader, StoredFilm
from hipcare.services.radiographs import IdentifiersNotConfirmedError, store_radiograph

__all__ = [
    "MAX_SERIES_IMAGES",
    "PacsSearch",
    "PullRefusal",
    "PulledSeries",
    "parse_uid",
    "pull_series",
    "search_pacs",
]

MAX_SERIES_IMAGES = 12
"""The most images one pull keeps. An AP pelvis series holds one to a few films; a series of
more is almost certainly a CT or a fluoroscopy run, not a film to measure."""

_UID = re.compile(r"[0-9]+(\.[0-9]+)*")


@dataclass(frozen=True)
class PacsSearch:
    """What a search found for a child: the numbers searched and the series, newest first."""

    child: Child
    hospital_numbers: tuple[str, ...]
    study_date: date | None
    series: tuple[PacsSeries, ...]


@dataclass(frozen=True)
class PullRefusal:
    """One image of a series that was not kept: ``image`` counts from 1; ``reason`` is one
    sentence; ``warnings`` the identifiers that differ (``"<keyword>: <problem>"``)."""

    image: int
    reason: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PulledSeries:
    """The result of one pull: the films kept and the images refused."""

    series: PacsSeries
    stored: tuple[StoredFilm, ...]
    refused: tuple[PullRefusal, ...]


def parse_uid(value: object, field: str) -> str:
    """A DICOM UID (digits and dots, at most 64 characters), else ``InvalidInputError``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field, "is missing; give the DICOM UID (digits and dots)")
    text = value.strip()
    if len(text) > 64 or not _UID.fullmatch(text):
        raise InvalidInputError(
            field, f"{text[:80]!r} is not a DICOM UID (digits and dots, at most 64 characters)"
        )
    return text


def _study_date(value: str | None) -> date | None:
    text = (value or "").strip()
    return None if not text else parse_date(text, "study_date")


def _clinician_child(uow: UnitOfWork, actor_id: int, child_id: int, now: datetime) -> Child:
    actor = find_actor(uow, actor_id)
    child = child_for(uow, actor, child_id, now)
    if actor.role is not Role.CLINICIAN:
        deny(
            uow,
            actor,
            EntityType.CHILD,
            child_id,
            now,
            f"user {actor.id} is a {actor.role}; only a clinician pulls films from the PACS",
        )
    return child


def _hospital_numbers(child: Child) -> tuple[str, ...]:
    numbers = tuple(dict.fromkeys(number.value for number in child.hospital_numbers))
    if not numbers:
        raise InvalidInputError(
            "hospital_number",
            "the child has no hospital number; add one to the record to search the PACS",
        )
    return numbers


def _search(
    pacs: Pacs, numbers: Sequence[str], study_date: date | None, study_uid: str | None = None
) -> tuple[PacsSeries, ...]:
    found: dict[tuple[str, str], PacsSeries] = {}
    for number in numbers:
        for series in pacs.search_series(
            patient_id=number, study_date=study_date, study_uid=study_uid
        ):
            found.setdefault((series.study_uid, series.series_uid), series)
    return tuple(
        sorted(
            found.values(),
            key=lambda series: (series.study_date or date.min, series.series_uid),
            reverse=True,
        )
    )


def search_pacs(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    *,
    study_date: str | None,
    now: datetime,
    pacs: Pacs,
) -> PacsSearch:
    """The series the PACS holds under the child's hospital numbers (on ``study_date``,
    ``YYYY-MM-DD``, when given), newest first. Audited ``pacs.searched`` before the PACS is
    asked, so a search is on record even when the PACS fails to answer."""
    wanted_date = _study_date(study_date)
    with uow:
        child = _clinician_child(uow, actor_id, child_id, now)
        numbers = _hospital_numbers(child)
        actor = find_actor(uow, actor_id)
        write_audit(uow, actor, AuditAction.PACS_SEARCHED, EntityType.CHILD, child_id, now)
        uow.commit()
    return PacsSearch(
        child=child,
        hospital_numbers=numbers,
        study_date=wanted_date,
        series=_search(pacs, numbers, wanted_date),
    )


def pull_series(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    *,
    study_uid: str,
    series_uid: str,
    today: date,
    now: datetime,
    pacs: Pacs,
    read: RadiographReader,
) -> PulledSeries:
    """Retrieve the series and keep each of its images as an upload would be kept.

    Refused before anything is fetched (``InvalidInputError``): UIDs that are not UIDs, a
    child without a hospital number, a series the PACS does not list under one of the
    child's hospital numbers (``series_uid``), a series of more than
    :data:`MAX_SERIES_IMAGES` images. Each image then passes the upload's checks; one that
    fails is listed in ``refused`` with the reason (audited ``pacs.pull-refused``).
    """
    study_uid = parse_uid(study_uid, "study_uid")
    series_uid = parse_uid(series_uid, "series_uid")
    with uow:
        child = _clinician_child(uow, actor_id, child_id, now)
        numbers = _hospital_numbers(child)
    listed = [
        series
        for series in _search(pacs, numbers, None, study_uid)
        if series.series_uid == series_uid
    ]
    if not listed:
        raise InvalidInputError(
            "series_uid",
            "the PACS lists no such series under the child's hospital number "
            f"({', '.join(numbers)}); search again and choose one of the series found",
        )
    series = listed[0]
    if series.image_count is not None and series.image_count > MAX_SERIES_IMAGES:
        raise InvalidInputError(
            "series_uid",
            f"the series holds {series.image_count} images; hipcare pulls plain films, "
            f"at most {MAX_SERIES_IMAGES} images a series",
        )
    files = pacs.retrieve_series(study_uid=study_uid, series_uid=series_uid)
    if not files:
        raise InvalidInputError("series_uid", "the PACS sent no image of this series")
    if len(files) > MAX_SERIES_IMAGES:
        raise InvalidInputError(
            "series_uid",
            f"the series holds {len(files)} images; hipcare pulls plain films, "
            f"at most {MAX_SERIES_IMAGES} images a series",
        )
    stored: list[StoredFilm] = []
    refused: list[PullRefusal] = []
    for number, data in enumerate(files, start=1):
        try:
            stored.append(
                store_radiograph(
                    uow,
                    actor_id,
                    child_id,
                    data,
                    film_date=None,
                    confirmed=False,
                    today=today,
                    now=now,
                    read=read,
                )
            )
        except IdentifiersNotConfirmedError as error:
            refused.append(
                PullRefusal(
                    number,
                    "the patient in the file is not this child: its identifiers differ "
                    "from the record, so it was not kept",
                    error.warnings,
                )
            )
        except InvalidInputError as error:
            if error.field not in ("file", "film_date"):
                raise
            refused.append(PullRefusal(number, f"{error.field}: {error.problem}"))
    if refused:
        with uow:
            actor = find_actor(uow, actor_id)
            write_audit(uow, actor, AuditAction.PACS_PULL_REFUSED, EntityType.CHILD, child_id, now)
            uow.commit()
    return PulledSeries(series=series, stored=tuple(stored), refused=tuple(refused))
