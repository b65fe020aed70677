"""The deployment settings of issue 13: secure by default, public URL and trusted proxies
checked when read, and what ``hipcare serve`` hands uvicorn."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from hipcare.cli.serve import demo_environ, proxy_options, served_environ
from hipcare.domain.errors import InvalidInputError
from hipcare.services.accounts import sign_in_delay
from hipcare.settings import Settings, public_host


def test_cookies_are_secure_unless_turned_off_and_the_demo_turns_them_off(tmp_path: Path) -> None:
    assert Settings.from_environ({}).secure_cookies is True
    assert Settings.from_environ({"HIPCARE_SECURE_COOKIES": "false"}).secure_cookies is False
    demo = Settings.from_environ(demo_environ({"HIPCARE_DATA_DIR": str(tmp_path)}))
    assert demo.secure_cookies is False
    asked = demo_environ({"HIPCARE_DATA_DIR": str(tmp_path), "HIPCARE_SECURE_COOKIES": "true"})
    assert Settings.from_environ(asked).secure_cookies is True


def test_trusted_proxies_are_read_as_addresses_and_networks() -> None:
    settings = Settings.from_environ({"HIPCARE_TRUSTED_PROXIES": " 10.0.0.5, 10.1.0.0/24,::1 "})
    assert settings.trusted_proxies == ("10.0.0.5/32", "10.1.0.0/24", "::1/128")
    assert Settings.from_environ({}).trusted_proxies == ()


@pytest.mark.parametrize("value", ["localhost", "10.0.0.300", "*", "10.0.0.0/33"])
def test_a_trusted_proxy_that_is_not_an_address_is_refused_by_name(value: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        Settings.from_environ({"HIPCARE_TRUSTED_PROXIES": value})
    assert error.value.field == "HIPCARE_TRUSTED_PROXIES"


def test_uvicorn_believes_forwarded_headers_only_from_named_proxies() -> None:
    """Not even from 127.0.0.1 by default (uvicorn's own default trusts it)."""
    assert proxy_options(Settings.from_environ({})) == {
        "proxy_headers": False,
        "forwarded_allow_ips": "",
    }
    named = Settings.from_environ({"HIPCARE_TRUSTED_PROXIES": "127.0.0.1"})
    assert proxy_options(named) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["127.0.0.1/32"],
    }


def test_the_public_url_is_checked_and_gives_the_trusted_host() -> None:
    settings = Settings.from_environ({"HIPCARE_PUBLIC_URL": "https://Hipcare.Example.org:8443/"})
    assert settings.public_url == "https://Hipcare.Example.org:8443"
    assert public_host(settings) == "hipcare.example.org"
    assert public_host(Settings.from_environ({})) is None
    v6 = Settings.from_environ({"HIPCARE_PUBLIC_URL": "http://[::1]:8000"})
    assert public_host(v6) == "[::1]"


@pytest.mark.parametrize(
    "value",
    [
        "hipcare.example.org",
        "ftp://hipcare.example.org",
        "https://hipcare.example.org/app",
        "https://user@hipcare.example.org",
        "https://hipcare.example.org:99999",
        "https://",
    ],
)
def test_a_public_url_that_is_not_an_address_is_refused_by_name(value: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        Settings.from_environ({"HIPCARE_PUBLIC_URL": value})
    assert error.value.field == "HIPCARE_PUBLIC_URL"


def test_serve_defaults_the_public_url_to_the_address_it_listens_on() -> None:
    assert served_environ({}, "127.0.0.1", 8000)["HIPCARE_PUBLIC_URL"] == "http://127.0.0.1:8000"
    assert served_environ({}, "0.0.0.0", 80)["HIPCARE_PUBLIC_URL"] == "http://localhost:80"  # noqa: S104 -- a value under test
    assert served_environ({}, "::1", 8000)["HIPCARE_PUBLIC_URL"] == "http://[::1]:8000"
    given = {"HIPCARE_PUBLIC_URL": "https://hipcare.example.org"}
    assert served_environ(given, "127.0.0.1", 8000) == given


def test_the_sign_in_delay_doubles_after_the_free_failures_up_to_its_ceiling() -> None:
    longest = timedelta(seconds=60)
    delays = [sign_in_delay(failures, 3, longest).total_seconds() for failures in range(12)]
    assert delays == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert sign_in_delay(10_000, 3, longest) == longest


def test_the_wait_is_said_in_plain_words() -> None:
    from hipcare.services.accounts import SignInRefusal, wait_message

    assert "Wait 1 second, then" in wait_message(SignInRefusal.ACCOUNT_WAIT, 1)
    assert "Wait 32 seconds, then" in wait_message(SignInRefusal.ACCOUNT_WAIT, 32)
    assert "Wait 15 minutes, then" in wait_message(SignInRefusal.ADDRESS_WAIT, 900)
