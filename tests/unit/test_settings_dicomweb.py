"""The PACS settings (``HIPCARE_DICOMWEB_*``): read as given, refused with the variable named."""

from __future__ import annotations

import pytest

from hipcare.domain.errors import InvalidInputError
from hipcare.settings import DicomWebSettings, Settings

URL = "https://pacs.example.org/dicom-web"


def test_no_url_means_no_pacs() -> None:
    assert Settings.from_environ({}).dicomweb is None


def test_basic_sign_in_and_timeout_are_read_and_the_password_is_not_shown() -> None:
    found = Settings.from_environ(
        {
            "HIPCARE_DICOMWEB_URL": URL + "/",
            "HIPCARE_DICOMWEB_USER": "hipcare",
            "HIPCARE_DICOMWEB_PASSWORD": "s3cret-pw",
            "HIPCARE_DICOMWEB_TIMEOUT_SECONDS": "12",
        }
    ).dicomweb
    assert found == DicomWebSettings(URL, "hipcare", "s3cret-pw", None, 12)
    assert "s3cret-pw" not in repr(found)


def test_a_bearer_token_is_read() -> None:
    environ = {"HIPCARE_DICOMWEB_URL": URL, "HIPCARE_DICOMWEB_TOKEN": "abc.def"}
    assert Settings.from_environ(environ).dicomweb == DicomWebSettings(URL, token="abc.def")  # noqa: S106 -- a made-up token


@pytest.mark.parametrize(
    ("environ", "field", "problem"),
    [
        ({"HIPCARE_DICOMWEB_URL": "ftp://pacs/x"}, "HIPCARE_DICOMWEB_URL", "is not an http(s)"),
        ({"HIPCARE_DICOMWEB_URL": "https://u:p@pacs/x"}, "HIPCARE_DICOMWEB_URL", "holds a user"),
        ({"HIPCARE_DICOMWEB_USER": "hipcare"}, "HIPCARE_DICOMWEB_URL", "is not set"),
        (
            {"HIPCARE_DICOMWEB_URL": URL, "HIPCARE_DICOMWEB_USER": "hipcare"},
            "HIPCARE_DICOMWEB_PASSWORD",
            "is missing",
        ),
        (
            {
                "HIPCARE_DICOMWEB_URL": URL,
                "HIPCARE_DICOMWEB_USER": "a",
                "HIPCARE_DICOMWEB_PASSWORD": "b",
                "HIPCARE_DICOMWEB_TOKEN": "c",
            },
            "HIPCARE_DICOMWEB_TOKEN",
            "not both",
        ),
        (
            {"HIPCARE_DICOMWEB_URL": URL, "HIPCARE_DICOMWEB_TIMEOUT_SECONDS": "0"},
            "HIPCARE_DICOMWEB_TIMEOUT_SECONDS",
            "whole number",
        ),
    ],
)
def test_impossible_settings_are_refused_naming_the_variable(
    environ: dict[str, str], field: str, problem: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        Settings.from_environ(environ)
    assert refused.value.field == field
    assert problem in refused.value.problem
