"""Passwords, tokens, the session policy and the web app's settings."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import Profession, Role, User
from hipcare.services.accounts import SessionPolicy, SessionUser, hash_password, token_digest
from hipcare.settings import Settings


def test_passwords_are_hashed_with_argon2id_and_verify() -> None:
    hashed = hash_password("a long enough password")
    assert hashed.startswith("$argon2id$")
    assert "a long enough password" not in hashed
    assert PasswordHasher().verify(hashed, "a long enough password")


def test_short_passwords_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="at least 10 characters") as error:
        hash_password("short")
    assert error.value.field == "password"


def test_the_token_digest_is_sha256_hex() -> None:
    assert token_digest("abc") == hashlib.sha256(b"abc").hexdigest()
    assert token_digest("abc") != token_digest("abd")


def test_csrf_tokens_must_match_exactly() -> None:
    user = User("a@example.org", "A", Role.CLINICIAN, Profession.NURSE, frozenset(), None, id=1)
    signed = SessionUser(user=user, csrf_token="token-1", token_digest="d")  # noqa: S106 -- synthetic
    assert signed.csrf_matches("token-1")
    assert not signed.csrf_matches("token-2")
    assert not signed.csrf_matches("")
    assert not signed.csrf_matches(None)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"idle": timedelta(0)}, "session.idle"),
        ({"absolute": timedelta(minutes=-1)}, "session.absolute"),
        ({"free_failures_per_account": 0}, "session.free_failures_per_account"),
        ({"free_failures_per_address": True}, "session.free_failures_per_address"),
        ({"longest_delay_per_account": timedelta(0)}, "session.longest_delay_per_account"),
    ],
)
def test_a_session_policy_refuses_impossible_limits(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        SessionPolicy(**changes)  # type: ignore[arg-type]  # wrong types on purpose
    assert error.value.field == field


def test_web_settings_have_safe_defaults(tmp_path: Path) -> None:
    settings = Settings.from_environ({"HIPCARE_DATA_DIR": str(tmp_path)})
    assert settings.secure_cookies is True
    assert settings.trusted_proxies == ()
    assert settings.public_url == ""
    assert (settings.session_idle_minutes, settings.session_max_hours) == (30, 12)
    assert settings.timezone == "UTC"
    assert settings.data_dir == tmp_path


def test_web_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_environ(
        {
            "HIPCARE_SECURE_COOKIES": "true",
            "HIPCARE_SESSION_IDLE_MINUTES": "15",
            "HIPCARE_SESSION_MAX_HOURS": "8",
            "HIPCARE_TIMEZONE": "Australia/Sydney",
        }
    )
    assert settings.secure_cookies is True
    assert (settings.session_idle_minutes, settings.session_max_hours) == (15, 8)
    assert settings.timezone == "Australia/Sydney"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HIPCARE_SECURE_COOKIES", "maybe"),
        ("HIPCARE_SESSION_IDLE_MINUTES", "0"),
        ("HIPCARE_SESSION_MAX_HOURS", "twelve"),
        ("HIPCARE_TIMEZONE", "Mars/Olympus"),
    ],
)
def test_bad_web_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        Settings.from_environ({name: value})
    assert error.value.field == name


def test_web_settings_are_documented() -> None:
    """docs/web.md names every web setting Settings reads."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "web.md").read_text(encoding="utf-8")
    for name in (
        "HIPCARE_SECURE_COOKIES",
        "HIPCARE_SESSION_IDLE_MINUTES",
        "HIPCARE_SESSION_MAX_HOURS",
        "HIPCARE_TIMEZONE",
    ):
        assert f"`{name}`" in text
