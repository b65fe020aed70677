"""The real server with several workers (``hipcare serve --workers 3``) on a database a test
prepared, and clients that hit it at the same moment: for the tests of races that only
separate processes (each with its own engine and connections) can show.

Shared by the web tests (``tests/integration/web``: the ``start_server`` fixture of its
``conftest.py`` is :func:`serve_workers`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

__all__ = ["HIPCARE", "Running", "at_once", "free_port", "serve_workers", "signed_in_client"]

HIPCARE = Path(sys.executable).with_name("hipcare")
STARTUP_SECONDS = 120.0
WORKERS = 3


@dataclass(frozen=True)
class Running:
    """One server started by :func:`serve_workers`: where it answers, and its log file."""

    base_url: str
    log: Path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve_workers(folder: Path) -> Iterator[Callable[[str], Running]]:
    """A ``start(database_url)`` that runs ``hipcare serve --workers 3`` on that (migrated,
    seeded) database, on a free port, with no ``HIPCARE_*`` setting of the caller's
    environment, and returns once ``/healthz`` answers; every server started is stopped
    (SIGINT, then killed after 20 s) when the block ends. The log goes to
    ``folder/server.log``."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(database_url: str) -> Running:
        log = folder / "server.log"
        port = free_port()
        environ = {
            key: value for key, value in os.environ.items() if not key.startswith("HIPCARE_")
        }
        environ["HIPCARE_DATA_DIR"] = str(folder / "server-data")
        environ["HIPCARE_DATABASE_URL"] = database_url
        environ["HIPCARE_SECURE_COOKIES"] = "false"  # plain http on 127.0.0.1
        argv = [str(HIPCARE), "serve", "--workers", str(WORKERS)]
        argv += ["--host", "127.0.0.1", "--port", str(port)]
        with log.open("wb") as sink:
            process = subprocess.Popen(argv, env=environ, stdout=sink, stderr=subprocess.STDOUT)
        processes.append(process)
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"hipcare serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=2):  # noqa: S310 -- our own http://127.0.0.1 server
                    return Running(base_url, log)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        pytest.fail(f"hipcare serve did not answer /healthz:\n{log.read_text()}")

    try:
        yield start
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:  # pragma: no cover -- only when shutdown hangs
                process.kill()
                process.wait()


def signed_in_client(base_url: str, email: str, password: str) -> httpx2.Client:
    """A client of that server signed in through ``POST /api/sign-in``, its CSRF token set
    on every request; the caller closes it."""
    client = httpx2.Client(base_url=base_url, timeout=60)
    response = client.post("/api/sign-in", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


def at_once(calls: list[Callable[[], httpx2.Response]]) -> list[httpx2.Response]:
    """Run the calls on threads released together (a barrier); their responses in order."""
    barrier = threading.Barrier(len(calls))
    responses: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        responses[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(response is not None for response in responses)
    return responses
