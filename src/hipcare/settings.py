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
- ``HIPCARE_ALERT_EMAIL``: the fallback address for diary alert emails (issue 16): used for a
  site with no alert route for the time an alert is raised (each site's routes come from
  ``sites.toml`` and its alert routes page); unset: such alerts are not emailed.
  ``HIPCARE_ALERT_POLL_SECONDS``:
  how often it looks for new alerts; default ``5``. The mail goes out through the SMTP
  settings reminders use (``HIPCARE_SMTP_HOST``, ``HIPCARE_SMTP_PORT``, ``HIPCARE_SMTP_FROM``,
  ``HIPCARE_SMTP_USER``, ``HIPCARE_SMTP_PASSWORD``, ``HIPCARE_SMTP_STARTTLS``) with the link
  on ``HIPCARE_PUBLIC_URL``. Staff invitations and password reset links use the same
  settings.
- ``HIPCARE_ADMIN_SECOND_FACTOR``: ``required`` (a site administrator must set up a TOTP
  authenticator before using hipcare) or ``offered`` (as for every other member of staff);
  default ``required``.

- ``HIPCARE_OIDC_ISSUER``, ``HIPCARE_OIDC_CLIENT_ID``, ``HIPCARE_OIDC_CLIENT_SECRET``,
  ``HIPCARE_OIDC_ROLE_MAP``, ``HIPCARE_OIDC_GROUP_CLAIM``, ``HIPCARE_OIDC_NAME``: single
  sign-on for staff with the hospital's OpenID Connect provider (:class:`OidcSettings`);
  unset issuer: no single sign-on, staff sign in with hipcare's own passwords.
- ``HIPCARE_DICOMWEB_URL``: the DICOMweb root of the hospital's PACS (QIDO-RS and WADO-RS,
  for example ``https://pacs.example.org/dicom-web``); unset: no "From PACS" panel and
  ``hipcare radiograph pull`` refuses. ``HIPCARE_DICOMWEB_USER`` and
  ``HIPCARE_DICOMWEB_PASSWORD`` (HTTP basic authentication) or ``HIPCARE_DICOMWEB_TOKEN``
  (a bearer token) when the PACS asks for them; ``HIPCARE_DICOMWEB_TIMEOUT_SECONDS``: how
  long to wait for its answer; default ``30``.

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

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.staff_access import GroupMap

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_FHIR_BASE_URL",
    "ENVIRONMENT_VARIABLES",
    "FALLBACK_PUBLIC_URL",
    "OIDC_VARIABLES",
    "SQLITE_FILE_NAME",
    "DicomWebSettings",
    "OidcSettings",
    "public_host",
]

DEFAULT_DATA_DIR = Path("var")
DEFAULT_FHIR_BASE_URL = "https://hipcare.example.org/fhir"
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
OIDC_VARIABLES = (
    "HIPCARE_OIDC_ISSUER",
    "HIPCARE_OIDC_CLIENT_ID",
    "HIPCARE_OIDC_CLIENT_SECRET",
    "HIPCARE_OIDC_ROLE_MAP",
    "HIPCARE_OIDC_GROUP_CLAIM",
    "HIPCARE_OIDC_NAME",
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
    "HIPCARE_ADMIN_SECOND_FACTOR",
    "HIPCARE_TRUSTED_PROXIES",
    "HIPCARE_FHIR_BASE_URL",
    "HIPCARE_FHIR_TRUSTED_SYSTEMS",
    *_MAIL_VARIABLES,
    *OIDC_VARIABLES,
    "HIPCARE_DICOMWEB_URL",
    "HIPCARE_DICOMWEB_USER",
    "HIPCARE_DICOMWEB_PASSWORD",
    "HIPCARE_DICOMWEB_TOKEN",
    "HIPCARE_DICOMWEB_TIMEOUT_SECONDS",
)
"""Every variable :meth:`Settings.from_environ` reads."""


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class OidcSettings:
    """Single sign-on for staff with the hospital's OpenID Connect provider (ADR 16).

    ``issuer`` is the provider's issuer URL (discovery is read from
    ``ISSUER/.well-known/openid-configuration``); ``client_id`` and ``client_secret`` are
    hipcare's registration there; ``group_map`` says which of the hospital's groups give which
    role at which site; ``group_claim`` names the claim that lists a person's groups (a dotted
    name reads inside an object); ``display_name`` is the hospital's name on the sign-in
    button ("Sign in with ...").
    """

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    group_map: GroupMap
    group_claim: str = "groups"
    display_name: str = "your hospital account"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> OidcSettings | None:
        """The ``HIPCARE_OIDC_*`` settings, or None when ``HIPCARE_OIDC_ISSUER`` is unset (and
        no other of them is set: half a configuration is refused, naming what is missing)."""
        values = {name: environ.get(name, "").strip() for name in OIDC_VARIABLES}
        if not values["HIPCARE_OIDC_ISSUER"]:
            given = [name for name, value in values.items() if value]
            if given:
                raise InvalidInputError(
                    "HIPCARE_OIDC_ISSUER", f"is needed with {', '.join(given)} (or unset them)"
                )
            return None
        issuer = values["HIPCARE_OIDC_ISSUER"]
        parts = urlsplit(issuer)
        secure = parts.scheme == "https" or (
            parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS
        )
        if not secure or not parts.hostname or parts.query or parts.fragment:
            raise InvalidInputError(
                "HIPCARE_OIDC_ISSUER",
                f"{issuer!r} is not an https URL of an identity provider "
                "(such as https://login.example-hospital.org/realms/staff)",
            )
        for name in (
            "HIPCARE_OIDC_CLIENT_ID",
            "HIPCARE_OIDC_CLIENT_SECRET",
            "HIPCARE_OIDC_ROLE_MAP",
        ):
            if not values[name]:
                raise InvalidInputError(name, "is needed when HIPCARE_OIDC_ISSUER is set")
        for name in ("HIPCARE_OIDC_CLIENT_ID", "HIPCARE_OIDC_CLIENT_SECRET"):
            if not values[name].isascii() or not values[name].isprintable():
                raise InvalidInputError(name, "must be printable ASCII characters")
        claim = values["HIPCARE_OIDC_GROUP_CLAIM"] or "groups"
        if not all(part and part.isascii() and part.isprintable() for part in claim.split(".")):
            raise InvalidInputError(
                "HIPCARE_OIDC_GROUP_CLAIM", f"{claim!r} is not a claim name such as 'groups'"
            )
        name = values["HIPCARE_OIDC_NAME"] or "your hospital account"
        if len(name) > 80 or not name.isprintable():
            raise InvalidInputError("HIPCARE_OIDC_NAME", "must be a name of at most 80 characters")
        return cls(
            issuer=issuer,
            client_id=values["HIPCARE_OIDC_CLIENT_ID"],
            client_secret=values["HIPCARE_OIDC_CLIENT_SECRET"],
            group_map=GroupMap.parse(values["HIPCARE_OIDC_ROLE_MAP"], "HIPCARE_OIDC_ROLE_MAP"),
            group_claim=claim,
            display_name=name,
        )


@dataclass(frozen=True)
class DicomWebSettings:
    """The PACS's DICOMweb root and how to sign in to it (basic or bearer, or neither)."""

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    timeout_seconds: int = 30

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> DicomWebSettings | None:
        """The ``HIPCARE_DICOMWEB_*`` settings, or None when no URL is set."""
        from urllib.parse import urlsplit

        url = environ.get("HIPCARE_DICOMWEB_URL", "").strip()
        username = environ.get("HIPCARE_DICOMWEB_USER", "").strip() or None
        password = environ.get("HIPCARE_DICOMWEB_PASSWORD", "") or None
        token = environ.get("HIPCARE_DICOMWEB_TOKEN", "").strip() or None
        if not url:
            if username or password or token:
                raise InvalidInputError(
                    "HIPCARE_DICOMWEB_URL", "is not set, but the PACS's sign-in is: set both"
                )
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInputError(
                "HIPCARE_DICOMWEB_URL",
                f"{url!r} is not an http(s) address such as https://pacs.example.org/dicom-web",
            )
        if parts.username or parts.password:
            raise InvalidInputError(
                "HIPCARE_DICOMWEB_URL",
                "holds a user name or password; set HIPCARE_DICOMWEB_USER and "
                "HIPCARE_DICOMWEB_PASSWORD instead",
            )
        if (username is None) != (password is None):
            raise InvalidInputError(
                "HIPCARE_DICOMWEB_PASSWORD" if password is None else "HIPCARE_DICOMWEB_USER",
                "is missing: basic authentication needs both the user and the password",
            )
        if token is not None and username is not None:
            raise InvalidInputError(
                "HIPCARE_DICOMWEB_TOKEN",
                "set either a token or a user and password for the PACS, not both",
            )
        return cls(
            url=url.rstrip("/"),
            username=username,
            password=password,
            token=token,
            timeout_seconds=_whole(environ, "HIPCARE_DICOMWEB_TIMEOUT_SECONDS", 30),
        )


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
    admin_second_factor_required: bool = True
    """Whether a site administrator must set up TOTP before using hipcare (issue 18)."""
    public_url: str = ""
    """``HIPCARE_PUBLIC_URL`` without a trailing slash; empty: links start with
    :data:`FALLBACK_PUBLIC_URL` and any host is answered."""
    trusted_proxies: tuple[str, ...] = ()
    """``HIPCARE_TRUSTED_PROXIES``: addresses or networks, as ``ipaddress`` writes them."""
    fhir_base_url: str = DEFAULT_FHIR_BASE_URL
    fhir_trusted_systems: frozenset[str] | None = None
    """None: every identifier system is trusted for matching on import."""
    mail_environ: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """The ``HIPCARE_SMTP_*`` and ``HIPCARE_PUBLIC_URL`` values as given (the alert sender
    builds its SMTP settings from them as ``hipcare send-reminders`` does)."""
    oidc: OidcSettings | None = None
    """Single sign-on for staff (``HIPCARE_OIDC_*``); None: passwords only."""
    dicomweb: DicomWebSettings | None = None
    """Where the PACS is (``HIPCARE_DICOMWEB_*``); None: no PACS configured."""

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
            admin_second_factor_required=_choice(
                environ, "HIPCARE_ADMIN_SECOND_FACTOR", ("required", "offered")
            )
            == "required",
            public_url=_public_url(environ),
            trusted_proxies=_networks(environ, "HIPCARE_TRUSTED_PROXIES"),
            fhir_base_url=_base_url(environ, "HIPCARE_FHIR_BASE_URL"),
            fhir_trusted_systems=_systems(environ, "HIPCARE_FHIR_TRUSTED_SYSTEMS"),
            mail_environ=tuple(
                (name, environ[name]) for name in _MAIL_VARIABLES if name in environ
            ),
            oidc=OidcSettings.from_environ(environ),
            dicomweb=DicomWebSettings.from_environ(environ),
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
