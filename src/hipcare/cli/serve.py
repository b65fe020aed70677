"""``hipcare serve``: bring the database to the newest schema, then run the web app (uvicorn).

``--demo`` uses a SQLite file of its own (``<data dir>/demo.sqlite3``), seeds it with the
synthetic demo (idempotent) and prints the sign-ins to use. Settings come from the
environment (``HIPCARE_*``, see docs/web.md); the worker processes build the app from the
same environment.
"""

from __future__ import annotations

import argparse
import copy
import os
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hipcare.cli.command_io import CommandIO
from hipcare.domain.errors import InvalidInputError
from hipcare.settings import Settings

__all__ = [
    "DEMO_DATABASE_FILE",
    "demo_environ",
    "proxy_options",
    "register",
    "seed_demo_and_report",
    "served_environ",
]

DEMO_DATABASE_FILE = "demo.sqlite3"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the clinician web app (migrates the database first)",
        description=(
            "Bring the database to the newest schema, then serve the clinician web app. "
            "With --demo: a SQLite demo database under HIPCARE_DATA_DIR (default ./var/), "
            "seeded with synthetic sites, staff and children, and the sign-ins printed."
        ),
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="serve the synthetic demo (its own SQLite file; prints the demo sign-ins)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default 1; use PostgreSQL for more than one machine)",
    )
    parser.set_defaults(handler=handle)


def demo_environ(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` with ``HIPCARE_DATABASE_URL`` pointing at the demo's SQLite file, and
    cookies without ``Secure`` unless ``HIPCARE_SECURE_COOKIES`` says otherwise (the demo is
    plain http on this computer; a browser would not send a Secure cookie back); the demo's
    site administrators are offered TOTP rather than made to set it up (unless
    ``HIPCARE_ADMIN_SECOND_FACTOR`` says otherwise), so its printed sign-ins work without a
    phone."""
    settings = Settings.from_environ(environ)
    url = f"sqlite:///{settings.data_dir / DEMO_DATABASE_FILE}"
    return {
        "HIPCARE_ADMIN_SECOND_FACTOR": "offered",
        "HIPCARE_SECURE_COOKIES": "false",
        **environ,
        "HIPCARE_DATABASE_URL": url,
    }


def served_environ(environ: dict[str, str], host: str, port: int) -> dict[str, str]:
    """``environ`` with ``HIPCARE_PUBLIC_URL`` defaulting to the address served
    (``http://HOST:PORT``; ``localhost`` for a wildcard address such as 0.0.0.0)."""
    if environ.get("HIPCARE_PUBLIC_URL", "").strip():
        return environ
    name = "localhost" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 -- compared, not bound
    if ":" in name:
        name = f"[{name}]"
    return {**environ, "HIPCARE_PUBLIC_URL": f"http://{name}:{port}"}


def proxy_options(settings: Settings) -> dict[str, Any]:
    """Uvicorn's proxy settings from ``HIPCARE_TRUSTED_PROXIES``: forwarded headers are
    believed only from those addresses, and not at all (not even from 127.0.0.1, uvicorn's
    own default) when none are named."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def seed_demo_and_report(settings: Settings, io: CommandIO) -> None:
    """Seed the demo database (idempotent) and print the staff and family sign-ins."""
    # Heavy imports inside the functions keep `hipcare --help` fast.
    from hipcare.bootstrap import load_content
    from hipcare.content.diary import load_diary_rules
    from hipcare.services.demo_seed import seed_demo
    from hipcare.storage import (
        SqlAlchemyUnitOfWork,
        create_database_engine,
        create_session_factory,
    )

    engine = create_database_engine(settings.database_url)
    try:
        now = datetime.now(UTC)
        report = seed_demo(
            SqlAlchemyUnitOfWork(create_session_factory(engine)),
            today=now.astimezone(ZoneInfo(settings.timezone)).date(),
            now=now,
            content=load_content(),
            diary_rules=load_diary_rules(),
        )
    finally:
        engine.dispose()
    io.stdout.write(
        f"Demo data: {report.children_added} children added, "
        f"{report.children_present} already there ({report.users_added} staff added).\n"
        f"Sign in with any of these (password for all: {report.accounts[0].password}):\n"
    )
    for account in report.accounts:
        io.stdout.write(f"  {account.email:<32} {account.display_name}\n")
    if report.families:
        io.stdout.write("Family accounts (the family pages, /family; same password):\n")
    for family in report.families:
        io.stdout.write(
            f"  {family.email:<32} {family.display_name}, family of {family.child_given_name}\n"
        )


def _log_config(log_format: str = "text") -> dict[str, Any]:
    """Uvicorn's logging, plus hipcare's own request lines (method, path, status, time); with
    ``json``, every line one JSON object with the request id (hipcare.request_log)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["hipcare"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    if log_format == "json":
        # Outside hipcare.web: a worker configures logging before its health-check thread
        # starts, and importing hipcare.web builds the whole app (``hipcare.request_log``).
        config["formatters"]["json"] = {"()": "hipcare.request_log.JsonFormatter"}
        for handler in config["handlers"].values():
            handler["formatter"] = "json"
    return config


def handle(args: argparse.Namespace, io: CommandIO) -> int:
    import uvicorn

    from hipcare.storage import upgrade_to_head

    if not 1 <= args.port <= 65535:
        raise InvalidInputError("--port", f"{args.port} is not a port number (1-65535)")
    if args.workers < 1:
        raise InvalidInputError("--workers", "must be 1 or more")
    environ = dict(io.environ)
    if args.demo:
        environ = demo_environ(environ)
    environ = served_environ(environ, args.host, args.port)
    settings = Settings.from_environ(environ)
    upgrade_to_head(settings.database_url)
    if args.demo:
        seed_demo_and_report(settings, io)
    # The worker processes read their settings from the environment, as this one did.
    os.environ.update({key: value for key, value in environ.items() if key.startswith("HIPCARE_")})
    io.stdout.write(f"hipcare is at http://{args.host}:{args.port}/ (Ctrl+C stops it)\n")
    io.stdout.flush()
    uvicorn.run(
        "hipcare.web.asgi:app_from_environ",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,  # the app logs method, path and status, never query strings
        # The standard asyncio loop, not uvloop: under wrk's 32 connections opening at once,
        # uvloop answered the child page's first second with waits of up to 0.5-0.6 s (p99 of
        # a 15 s run 184 ms) while asyncio's waits stayed under 0.2 s (p99 50 ms), for 3% less
        # throughput (ADR 10, "Update 18:05").
        loop="asyncio",
        log_config=_log_config(settings.log_format),
        # A worker on a busy machine needs more than uvicorn's 5 s to import and build the
        # app; a worker that misses the check is killed and restarted, over and over.
        timeout_worker_healthcheck=60,
        **proxy_options(settings),
    )
    return 0
