"""A PACS over DICOMweb: QIDO-RS to search series, WADO-RS to retrieve them (dicomweb-client).

:class:`DicomWebPacs` is the adapter the entry points build from ``HIPCARE_DICOMWEB_URL``
(and, when the PACS asks for them, ``HIPCARE_DICOMWEB_USER`` / ``HIPCARE_DICOMWEB_PASSWORD``
for HTTP basic authentication or ``HIPCARE_DICOMWEB_TOKEN`` for a bearer token); it answers
the ``hipcare.services.ports.pacs.Pacs`` protocol. It uses the well-kept ``dicomweb-client``
library (https://github.com/ImagingDataCommons/dicomweb-client), which speaks DICOM PS3.18.

- A search is ``GET {url}/series?PatientID=…&StudyDate=YYYYMMDD`` (or under
  ``/studies/{uid}/series``) with the attributes the list shows as ``includefield``; a
  series whose returned Patient ID is not exactly the one asked for is dropped (QIDO matches
  ``*`` and ``?`` as wildcards).
- A retrieve is ``GET {url}/studies/{uid}/series/{uid}`` accepting every transfer syntax
  (``transfer-syntax=*``), so the PACS sends the images as stored, without transcoding; each
  instance is written back as a DICOM Part 10 file for the upload reader (the bytes hipcare
  keeps are that file, not the PACS's byte for byte).

A PACS that does not answer, refuses the credentials or answers with an error raises
:class:`~hipcare.domain.errors.ExternalSystemError` (``pacs``) with the HTTP status, never a
traceback. Nothing here logs: what the PACS says is patient data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import TYPE_CHECKING, Any

from hipcare.domain.errors import ExternalSystemError

if TYPE_CHECKING:
    from dicomweb_client.api import DICOMwebClient

__all__ = ["DicomWebPacs", "PacsSeries"]

# The DICOM tags of the attributes the search asks for (PS3.6), as QIDO-RS's JSON keys them.
_STUDY_UID = "0020000D"
_SERIES_UID = "0020000E"
_STUDY_DATE = "00080020"
_MODALITY = "00080060"
_SERIES_DESCRIPTION = "0008103E"
_STUDY_DESCRIPTION = "00081030"
_SERIES_IMAGES = "00201209"  # Number of Series Related Instances
_PATIENT_ID = "00100020"
_FIELDS = (
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "StudyDate",
    "Modality",
    "SeriesDescription",
    "StudyDescription",
    "NumberOfSeriesRelatedInstances",
    "PatientID",
)

_DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class PacsSeries:
    """One series found (the fields of ``hipcare.services.ports.pacs.PacsSeries``)."""

    study_uid: str
    series_uid: str
    study_date: date | None
    modality: str
    description: str
    image_count: int | None
    patient_id: str


def _first(item: Mapping[str, Any], tag: str) -> Any:
    element = item.get(tag)
    if not isinstance(element, Mapping):
        return None
    values = element.get("Value")
    if not isinstance(values, list) or not values:
        return None
    return values[0]


def _text(item: Mapping[str, Any], tag: str) -> str:
    value = _first(item, tag)
    if isinstance(value, Mapping):  # a PN value: {"Alphabetic": ...}
        value = value.get("Alphabetic")
    return "" if value is None else str(value).strip()


def _date(value: str) -> date | None:
    digits = value.strip()
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _count(item: Mapping[str, Any], tag: str) -> int | None:
    value = _first(item, tag)
    try:
        count = int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return count if count is not None and count >= 0 else None


class DicomWebPacs:
    """The ``Pacs`` port over a DICOMweb server at ``url`` (its QIDO/WADO root)."""

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout_seconds: float = _DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url.rstrip("/")
        self._username = username
        self._password = password
        self._token = token
        self._timeout_seconds = timeout_seconds

    def _client(self) -> DICOMwebClient:
        # One client (and HTTP session) per call: a request handler's thread owns it alone,
        # and a requests.Session is not safe to share between threads.
        import requests
        from dicomweb_client.api import DICOMwebClient

        session = requests.Session()
        if self._username is not None:
            session.auth = (self._username, self._password or "")
        headers = {} if self._token is None else {"Authorization": f"Bearer {self._token}"}
        client = DICOMwebClient(
            self.url, session=session, headers=headers, timeout=self._timeout_seconds
        )
        # A clinician waits on the answer: a busy PACS is reported, not retried for minutes.
        client.set_http_retry_params(retry=False)
        return client

    def _failure(self, error: Exception, what: str) -> ExternalSystemError:
        import requests

        if isinstance(error, requests.HTTPError) and error.response is not None:
            status = error.response.status_code
            if status in (401, 403):
                return ExternalSystemError(
                    "pacs",
                    f"the PACS refused hipcare's credentials when asked to {what} (HTTP "
                    f"{status}); check HIPCARE_DICOMWEB_USER, _PASSWORD or _TOKEN",
                )
            return ExternalSystemError(
                "pacs", f"the PACS answered HTTP {status} when asked to {what}"
            )
        if isinstance(error, requests.Timeout):
            return ExternalSystemError(
                "pacs",
                f"the PACS did not answer within {self._timeout_seconds:g} s when asked to {what}",
            )
        if isinstance(error, requests.ConnectionError):
            return ExternalSystemError(
                "pacs",
                f"the PACS at HIPCARE_DICOMWEB_URL could not be reached to {what}; "
                "check that it is running and the address is right",
            )
        return ExternalSystemError(
            "pacs", f"the PACS's answer could not be read when asked to {what}"
        )

    def search_series(
        self, *, patient_id: str, study_date: date | None, study_uid: str | None = None
    ) -> Sequence[PacsSeries]:
        """Series of Patient ID ``patient_id`` exactly (QIDO-RS), of ``study_date`` and
        ``study_uid`` when given."""
        import requests

        filters: dict[str, str] = {"PatientID": patient_id}
        if study_date is not None:
            filters["StudyDate"] = study_date.strftime("%Y%m%d")
        try:
            found = self._client().search_for_series(
                study_instance_uid=study_uid,
                fields=list(_FIELDS),
                search_filters=filters,
                get_remaining=True,
            )
        except (requests.RequestException, ValueError) as error:
            raise self._failure(error, "search") from None
        series: list[PacsSeries] = []
        for item in found:
            if not isinstance(item, Mapping):
                continue
            returned_id = _text(item, _PATIENT_ID)
            study, one_series = _text(item, _STUDY_UID), _text(item, _SERIES_UID)
            if returned_id != patient_id or not study or not one_series:
                continue
            found_date = _date(_text(item, _STUDY_DATE))
            if study_date is not None and found_date not in (None, study_date):
                continue
            series.append(
                PacsSeries(
                    study_uid=study,
                    series_uid=one_series,
                    study_date=found_date,
                    modality=_text(item, _MODALITY),
                    description=_text(item, _SERIES_DESCRIPTION) or _text(item, _STUDY_DESCRIPTION),
                    image_count=_count(item, _SERIES_IMAGES),
                    patient_id=returned_id,
                )
            )
        return series

    def retrieve_series(self, *, study_uid: str, series_uid: str) -> Sequence[bytes]:
        """The series' instances as DICOM Part 10 files, as stored (WADO-RS, any syntax)."""
        import pydicom
        import requests
        from pydicom.errors import InvalidDicomError

        try:
            datasets = self._client().retrieve_series(
                study_uid, series_uid, media_types=(("application/dicom", "*"),)
            )
        except requests.HTTPError as error:
            if error.response is not None and error.response.status_code == 404:
                return []
            raise self._failure(error, "send the series") from None
        except (requests.RequestException, ValueError, InvalidDicomError) as error:
            raise self._failure(error, "send the series") from None
        files = []
        for dataset in datasets:
            buffer = BytesIO()
            pydicom.dcmwrite(buffer, dataset)
            files.append(buffer.getvalue())
        return files
