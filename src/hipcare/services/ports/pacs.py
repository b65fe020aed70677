"""A PACS that speaks DICOMweb, as the films-from-PACS use cases need it.

The entry points hand in :class:`hipcare.interop.dicomweb.DicomWebPacs` (QIDO-RS to search,
WADO-RS to retrieve); the tests hand in the same adapter pointed at an Orthanc server they
start. A PACS that does not answer, or answers with an error, raises
:class:`hipcare.domain.errors.ExternalSystemError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

__all__ = ["Pacs", "PacsSeries"]


class PacsSeries(Protocol):
    """One series a PACS found: its study and series UIDs and what the list shows.

    ``image_count`` is the number of instances (images) in the series, None when the PACS
    does not say. ``patient_id`` is the Patient ID the PACS holds for it (patient data: shown
    to the clinician, never logged).
    """

    @property
    def study_uid(self) -> str: ...
    @property
    def series_uid(self) -> str: ...
    @property
    def study_date(self) -> date | None: ...
    @property
    def modality(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def image_count(self) -> int | None: ...
    @property
    def patient_id(self) -> str: ...


class Pacs(Protocol):
    """Search a PACS by hospital number and date, and retrieve a series' files."""

    def search_series(
        self, *, patient_id: str, study_date: date | None, study_uid: str | None = None
    ) -> Sequence[PacsSeries]:
        """Every series of the patient with Patient ID ``patient_id`` (exactly), of studies
        on ``study_date`` and of the study ``study_uid`` when given."""
        ...

    def retrieve_series(self, *, study_uid: str, series_uid: str) -> Sequence[bytes]:
        """Each instance of the series as a DICOM file (Part 10 bytes); empty when the PACS
        holds no such series."""
        ...
