"""Settings for an entry point, built from an environment mapping (never at import time).

- ``HIPCARE_DATABASE_URL``: the SQLAlchemy URL of the database, ``sqlite:///PATH`` or
  ``postgresql+psycopg://USER@HOST/DATABASE``; default ``sqlite:///<data dir>/hipcare.sqlite3``.
- ``HIPCARE_DATA_DIR``: the folder for hipcare's own files (the default SQLite database);
  default ``./var/``.
- ``HIPCARE_SECURE_COOKIES``: ``true`` when the web app is served over https (the session
  cookie then carries ``Secure``); default ``false``.
- ``HIPCARE_SESSION_IDLE_MINUTES`` / ``HIPCARE_SESSION_MAX_HOURS``: a web session ends after
  this long unused / this long after sign-in; defaults 30 and 12.
- ``HIPCARE_TIMEZONE``: the clinic's time zone (IANA name), which decides "today"; default
  ``UTC``.
- ``HIPCARE_PAGE_CACHE``: how many rendered page bodies one web server process keeps, each
  checked against the database on every request (ADR 10); ``0`` turns the cache off; default
  ``512``.
- ``HIPCARE_METRICS_TOKEN``: the bearer token a Prometheus scraper sends for ``/metrics``
  (``Authorization: Bearer TOKEN``); without it only a signed-in site administrator sees the
  metrics; default none.
- ``HIPCARE_LOG_FORMAT``: ``json`` (one JSON object a line, with a request id) or ``text``
  for ``hipcare serve``'s log; default ``json``.
- ``HIPCARE_ALERT_EMAIL``: where the web server emails each new diary alert (the care
  team's shared address; issue 16); unset: no alert emails. ``HIPCARE_ALERT_POLL_SECONDS``:
  how often it looks for new alerts; default ``5``. The mail goes out through the SMTP
  settings reminders use (``HIPCARE_SMTP_HOST``, ``HIPCARE_SMTP_PORT``, ``HIPCARE_SMTP_FROM``,
  ``HIPCARE_SMTP_USER``, ``HIPCARE_SMTP_PASSWORD``, ``HIPCARE_SMTP_STARTTLS``) with the link
  on ``HIPCARE_PUBLIC_URL``.

- ``HIPCARE_FHIR_BASE_URL``: this installation's FHIR base URL (absolute ``https://`` or
  ``http://`` URL, no query or fragment). The Bundle ``fullUrl`` values, the export manifest's
  ``request`` and the identifier systems hipcare mints (``<base>/sid/child-id``,
  ``<base>/sid/site-id``, ``<base>/sid/observation-id``) come from it, so two installations
  never mint the same identifier (issue 15); default ``https://hipcare.example.org/fhir``
  (an example address: set it in production, ``docs/deploy.md``).
- ``HIPCARE_FHIR_TRUSTED_SYSTEMS``: identifier systems, separated by spaces or commas, whose
  identifiers ``hipcare fhir import`` may use to find an existing child (this installation's
  own child-id system always counts); identifiers of other systems are neither matched nor
  kept. Unset: every system is trusted (a match still needs names and birth date to agree).

``docs/storage.md`` documents the same variables; a test fails if the two drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hipcare.domain.errors import InvalidInputError

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_FHIR_BASE_URL",
    "ENVIRONMENT_VARIABLES",
    "SQLITE_FILE_NAME",
    "Settings",
]

DEFAULT_DATA_DIR = Path("var")
DEFAULT_FHIR_BASE_URL = "https://hipcare.example.org/fhir"
SQLITE_FILE_NAME = "hipcare.sqlite3"
_MAIL_VARIABLES = (
    "HIPCARE_SMTP_HOST",
    "HIPCARE_SMTP_PORT",
    "HIPCARE_SMTP_FROM",
    "HIPCARE_SMTP_USER",
    "HIPCARE_SMTP_PASSWORD",
    "HIPCARE_SMTP_STARTTLS",
    "HIPCARE_PUBLIC_URL",
)
ENVIRONMENT_VARIABLES = (
    "HIPCARE_DATABASE_URL",
    "HIPCARE_DATA_DIR",
    "HIPCARE_SECURE_COOKIES",
    "HIPCARE_SESSION_IDLE_MINUTES",
    "HIPCARE_SESSION_MAX_HOURS",
    "HIPCARE_TIMEZONE",
    "HIPCARE_PAGE_CACHE",
    "HIPCARE_METRICS_TOKEN",
    "HIPCARE_LOG_FORMAT",
    "HIPCARE_ALERT_EMAIL",
    "HIPCARE_ALERT_POLL_SECONDS",
    "HIPCARE_FHIR_BASE_URL",
    "HIPCARE_FHIR_TRUSTED_SYSTEMS",
    *_MAIL_VARIABLES,
)
"""Every variable :meth:`Settings.from_environ` reads."""


@dataclass(frozen=True)
class Settings:
    """Where hipcare keeps its data. Build it with :meth:`from_environ` in an entry point."""

    database_url: str
    data_dir: Path
    secure_cookies: bool = False
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    timezone: str = "UTC"
    page_cache_entries: int = 512
    metrics_token: str | None = None
    log_format: str = "json"
    alert_email: str | None = None
    alert_poll_seconds: int = 5
    fhir_base_url: str = DEFAULT_FHIR_BASE_URL
    fhir_trusted_systems: frozenset[str] | None = None
    """None: every identifier system is trusted for matching on import."""
    mail_environ: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """The ``HIPCARE_SMTP_*`` and ``HIPCARE_PUBLIC_URL`` values as given (the alert sender
    builds its SMTP settings from them as ``hipcare send-reminders`` does)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from ``environ`` (pass ``os.environ`` or a plain dict in tests).

        Without ``HIPCARE_DATABASE_URL`` the database is the SQLite file
        ``<data dir>/hipcare.sqlite3``; the data folder is ``HIPCARE_DATA_DIR`` or ``./var/``
        (relative to the working directory), made absolute here.
        """
        data_dir = Path(environ.get("HIPCARE_DATA_DIR", "").strip() or DEFAULT_DATA_DIR)
        data_dir = data_dir.expanduser().absolute()
        url = environ.get("HIPCARE_DATABASE_URL", "").strip()
        if not url:
            url = f"sqlite:///{data_dir / SQLITE_FILE_NAME}"
        return cls(
            database_url=url,
            data_dir=data_dir,
            secure_cookies=_flag(environ, "HIPCARE_SECURE_COOKIES"),
            session_idle_minutes=_whole(environ, "HIPCARE_SESSION_IDLE_MINUTES", 30),
            session_max_hours=_whole(environ, "HIPCARE_SESSION_MAX_HOURS", 12),
            timezone=_timezone(environ),
            page_cache_entries=_count(environ, "HIPCARE_PAGE_CACHE", 512),
            metrics_token=_secret(environ, "HIPCARE_METRICS_TOKEN"),
            log_format=_choice(environ, "HIPCARE_LOG_FORMAT", ("json", "text")),
            alert_email=_address(environ, "HIPCARE_ALERT_EMAIL"),
            alert_poll_seconds=_whole(environ, "HIPCARE_ALERT_POLL_SECONDS", 5),
            fhir_base_url=_base_url(environ, "HIPCARE_FHIR_BASE_URL"),
            fhir_trusted_systems=_systems(environ, "HIPCARE_FHIR_TRUSTED_SYSTEMS"),
            mail_environ=tuple(
                (name, environ[name]) for name in _MAIL_VARIABLES if name in environ
            ),
        )


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise InvalidInputError(name, f"{value!r} is not true or false")


def _whole(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise InvalidInputError(name, f"{value!r} is not a whole number >= 1")
    return int(value)


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit()):
        raise InvalidInputError(name, f"{value!r} is not a whole number >= 0")
    return int(value)


def _secret(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    if len(value) < 16 or not value.isascii() or not value.isprintable():
        raise InvalidInputError(name, "must be at least 16 printable ASCII characters")
    return value


def _choice(environ: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = environ.get(name, "").strip().lower() or choices[0]
    if value not in choices:
        raise InvalidInputError(name, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _address(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    local, at, domain = value.partition("@")
    if not (local and at and domain) or any(c.isspace() for c in value):
        raise InvalidInputError(name, f"{value!r} is not an email address")
    return value


def _timezone(environ: Mapping[str, str]) -> str:
    name = environ.get("HIPCARE_TIMEZONE", "").strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(
            "HIPCARE_TIMEZONE", f"{name!r} is not a time zone name such as 'Australia/Sydney'"
        ) from None
    return name


def _absolute_url(value: str, name: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
    except ValueError:
        raise InvalidInputError(name, f"{value!r} is not a URL") from None
    if (
        parts.scheme not in ("https", "http")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or any(character.isspace() or character in "|," for character in value)
    ):
        raise InvalidInputError(
            name,
            f"{value!r} is not an absolute http(s) URL without query or fragment, such as "
            "'https://hipcare.hospital.example/fhir'",
        )
    return value


def _base_url(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip() or DEFAULT_FHIR_BASE_URL
    return _absolute_url(value, name).rstrip("/")


def _systems(environ: Mapping[str, str], name: str) -> frozenset[str] | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    systems = frozenset(part for part in value.replace(",", " ").split() if part)
    for system in systems:
        if not system.startswith(("urn:oid:", "urn:uuid:")):
            _absolute_url(system, name)
    return systems
