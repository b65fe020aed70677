"""Settings for an entry point, built from an environment mapping (never at import time).

- ``HIPCARE_DATABASE_URL``: the SQLAlchemy URL of the database, ``sqlite:///PATH`` or
  ``postgresql+psycopg://USER@HOST/DATABASE``; default ``sqlite:///<data dir>/hipcare.sqlite3``.
- ``HIPCARE_DATA_DIR``: the folder for hipcare's own files (the default SQLite database);
  default ``./var/``.
- ``HIPCARE_SECURE_COOKIES``: the session and form cookies carry ``Secure`` and every answer
  sends ``Strict-Transport-Security`` (the app is served over https); default ``true``, but
  ``false`` under ``hipcare serve --demo`` (plain http on this computer). Set ``false`` only
  for a server reached over plain http on a closed network.
- ``HIPCARE_PUBLIC_URL``: the address people reach hipcare at (``https://hipcare.example.org``,
  scheme and host, no path). Every link hipcare makes (invitations, calendar feeds, emails)
  starts with it, never with the request's ``Host`` header, and requests naming another host
  are refused (400; ``localhost``, ``127.0.0.1`` and ``::1`` stay allowed for checks on the
  server itself). ``hipcare serve`` defaults it to ``http://HOST:PORT`` it listens on.
- ``HIPCARE_TRUSTED_PROXIES``: comma-separated addresses or networks (``10.0.0.5``,
  ``10.0.0.0/24``) of the reverse proxies whose ``X-Forwarded-For`` and
  ``X-Forwarded-Proto`` headers ``hipcare serve`` believes; default none: the headers are
  ignored, even from ``127.0.0.1``, and the sign-in delay counts the connecting address.
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

``docs/storage.md`` documents the same variables; a test fails if the two drift apart.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hipcare.domain.errors import InvalidInputError

__all__ = [
    "DEFAULT_DATA_DIR",
    "ENVIRONMENT_VARIABLES",
    "FALLBACK_PUBLIC_URL",
    "SQLITE_FILE_NAME",
    "Settings",
    "public_host",
]

DEFAULT_DATA_DIR = Path("var")
SQLITE_FILE_NAME = "hipcare.sqlite3"
FALLBACK_PUBLIC_URL = "http://localhost:8000"
"""Where links point when ``HIPCARE_PUBLIC_URL`` is not set (never the request's Host)."""
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
    "HIPCARE_TRUSTED_PROXIES",
    *_MAIL_VARIABLES,
)
"""Every variable :meth:`Settings.from_environ` reads."""


@dataclass(frozen=True)
class Settings:
    """Where hipcare keeps its data. Build it with :meth:`from_environ` in an entry point."""

    database_url: str
    data_dir: Path
    secure_cookies: bool = True
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    timezone: str = "UTC"
    page_cache_entries: int = 512
    metrics_token: str | None = None
    log_format: str = "json"
    alert_email: str | None = None
    alert_poll_seconds: int = 5
    public_url: str = ""
    """``HIPCARE_PUBLIC_URL`` without a trailing slash; empty: links start with
    :data:`FALLBACK_PUBLIC_URL` and any host is answered."""
    trusted_proxies: tuple[str, ...] = ()
    """``HIPCARE_TRUSTED_PROXIES``: addresses or networks, as ``ipaddress`` writes them."""
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
            secure_cookies=_flag(environ, "HIPCARE_SECURE_COOKIES", default=True),
            session_idle_minutes=_whole(environ, "HIPCARE_SESSION_IDLE_MINUTES", 30),
            session_max_hours=_whole(environ, "HIPCARE_SESSION_MAX_HOURS", 12),
            timezone=_timezone(environ),
            page_cache_entries=_count(environ, "HIPCARE_PAGE_CACHE", 512),
            metrics_token=_secret(environ, "HIPCARE_METRICS_TOKEN"),
            log_format=_choice(environ, "HIPCARE_LOG_FORMAT", ("json", "text")),
            alert_email=_address(environ, "HIPCARE_ALERT_EMAIL"),
            alert_poll_seconds=_whole(environ, "HIPCARE_ALERT_POLL_SECONDS", 5),
            public_url=_public_url(environ),
            trusted_proxies=_networks(environ, "HIPCARE_TRUSTED_PROXIES"),
            mail_environ=tuple(
                (name, environ[name]) for name in _MAIL_VARIABLES if name in environ
            ),
        )


def _flag(environ: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("0", "false", "no"):
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


def _public_url(environ: Mapping[str, str]) -> str:
    value = environ.get("HIPCARE_PUBLIC_URL", "").strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise InvalidInputError(
            "HIPCARE_PUBLIC_URL",
            f"{value!r} is not an address such as 'https://hipcare.example.org' "
            "(http or https, a host, no path)",
        )
    try:
        parts.port  # noqa: B018 -- reading it checks it (a port past 65535 raises)
    except ValueError:
        raise InvalidInputError("HIPCARE_PUBLIC_URL", f"{value!r} has an impossible port") from None
    return value


def _networks(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    found = []
    for part in environ.get(name, "").split(","):
        if not part.strip():
            continue
        try:
            found.append(str(ipaddress.ip_network(part.strip(), strict=False)))
        except ValueError:
            raise InvalidInputError(
                name, f"{part.strip()!r} is not an IP address or network such as 10.0.0.0/24"
            ) from None
    return tuple(found)


def public_host(settings: Settings) -> str | None:
    """The host name of ``HIPCARE_PUBLIC_URL`` (lower case), or None when it is not set."""
    host = urlsplit(settings.public_url).hostname if settings.public_url else None
    return f"[{host}]" if host is not None and ":" in host else host


def _timezone(environ: Mapping[str, str]) -> str:
    name = environ.get("HIPCARE_TIMEZONE", "").strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(
            "HIPCARE_TIMEZONE", f"{name!r} is not a time zone name such as 'Australia/Sydney'"
        ) from None
    return name
