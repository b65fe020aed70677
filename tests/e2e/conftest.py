"""The real server and a real browser for the end-to-end tests.

Each server is ``hipcare serve`` in its own process on a free port with a fresh data folder:
on SQLite through ``--demo`` (the README's command; the sign-ins are read from what it
prints), or on a new PostgreSQL database seeded with the same synthetic demo. A test waits
for ``/healthz`` before it starts. The browser is Debian's Chromium (``/usr/bin/chromium``)
driven by Playwright; nothing here downloads a browser. Screenshots go to
``out/screenshots/`` (gitignored) so a person can look at every step.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.browser import Server
from tests.support.databases import session_postgresql_database

from hipcare.bootstrap import load_content

CONTENT = load_content()

HIPCARE = Path(sys.executable).with_name("hipcare")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_health(process: subprocess.Popen[bytes], base_url: str, log: Path) -> str:
    """Poll ``/healthz`` until it answers 200; the database dialect it reports."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"hipcare serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:  # noqa: S310 -- our own http://127.0.0.1 server
                body: dict[str, Any] = json.load(response)
                return str(body["dialect"])
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(
        f"hipcare serve did not answer /healthz in {STARTUP_SECONDS:.0f} s:\n{log.read_text()}"
    )


_SIGN_IN_LINE = re.compile(r"^\s+(\S+@\S+)\s+.+$", re.MULTILINE)
_PASSWORD = re.compile(r"password for all: ([^)]+)\)")


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """Start ``hipcare serve`` processes on demand; all are stopped at the end of the session.

    ``start_server()`` serves the SQLite demo (``--demo``); ``start_server(database_url=URL)``
    serves that database, which the caller has seeded; ``environ_extra`` adds ``HIPCARE_*``
    settings.
    """
    processes: list[subprocess.Popen[bytes]] = []

    def start(
        database_url: str | None = None,
        demo_password: str = "",
        emails: tuple[str, ...] = (),
        environ_extra: dict[str, str] | None = None,
    ) -> Server:
        data_dir = tmp_path_factory.mktemp("hipcare-data")
        log = data_dir / "server.log"
        port = _free_port()
        environ = {
            key: value for key, value in os.environ.items() if not key.startswith("HIPCARE_")
        }
        environ["HIPCARE_DATA_DIR"] = str(data_dir)
        environ.update(environ_extra or {})
        argv = [str(HIPCARE), "serve", "--host", "127.0.0.1", "--port", str(port)]
        if database_url is None:
            argv.append("--demo")
        else:
            environ["HIPCARE_DATABASE_URL"] = database_url
            environ["HIPCARE_SECURE_COOKIES"] = "false"  # plain http on 127.0.0.1, as --demo
            # The demo's administrators have no authenticator: offered, as --demo does (the
            # rule that an administrator sets one up first: test_web_local_accounts.py).
            environ["HIPCARE_ADMIN_SECOND_FACTOR"] = "offered"
        with log.open("wb") as sink:
            process = subprocess.Popen(argv, env=environ, stdout=sink, stderr=subprocess.STDOUT)
        processes.append(process)
        base_url = f"http://127.0.0.1:{port}"
        dialect = _wait_for_health(process, base_url, log)
        printed = log.read_text(encoding="utf-8")
        if database_url is None:
            found = _PASSWORD.search(printed)
            assert found, f"hipcare serve --demo printed no password:\n{printed}"
            demo_password = found.group(1)
            emails = tuple(_SIGN_IN_LINE.findall(printed))
        return Server(base_url, dialect, demo_password, emails, log)

    yield start
    for process in processes:
        process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover -- only when shutdown hangs
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def sqlite_server(start_server: Callable[..., Server]) -> Server:
    """The SQLite demo, shared by the tests that only read it or add their own children."""
    return start_server()


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    """A new PostgreSQL database for this session (dropped at the end); its URL.

    Unreachable means skipped with the reason, except under ``CI=true``, where it fails.
    """
    yield from session_postgresql_database("hipcare_e2e")


@pytest.fixture(scope="session")
def postgresql_server(start_server: Callable[..., Server], postgresql_database: str) -> Server:
    """``hipcare serve`` on PostgreSQL, seeded with the synthetic demo before it starts."""
    return seeded_postgresql_server(start_server, postgresql_database)


def seeded_postgresql_server(
    start_server: Callable[..., Server], postgresql_database: str
) -> Server:
    """Migrate and seed the synthetic demo into that (empty) database, then serve it."""
    from hipcare.services.demo_seed import seed_demo
    from hipcare.storage import (
        SqlAlchemyUnitOfWork,
        create_database_engine,
        create_session_factory,
        upgrade_to_head,
    )

    upgrade_to_head(postgresql_database)
    engine = create_database_engine(postgresql_database)
    try:
        now = datetime.now(UTC)
        report = seed_demo(
            SqlAlchemyUnitOfWork(create_session_factory(engine)),
            today=now.date(),
            now=now,
            content=CONTENT,
        )
    finally:
        engine.dispose()
    return start_server(
        database_url=postgresql_database,
        demo_password=report.accounts[0].password,
        emails=tuple(account.email for account in report.accounts),
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium under Playwright (skipped when the package is missing)."""
    if not CHROMIUM.exists():
        reason = "Debian's chromium is not installed (./run test installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; the CSP is bypassed only so axe-core
    can be injected as an inline script."""
    context = browser.new_context(
        bypass_csp=True,
        viewport={"width": 1280, "height": 900},
        locale="en-AU",
        timezone_id="UTC",
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()
