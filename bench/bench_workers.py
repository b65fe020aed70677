"""Several workers on one PostgreSQL database under a mixed load of clinicians and families
(issue 18, item 5).

A new PostgreSQL database (``hipcare_bench_<pid>`` beside ``HIPCARE_TEST_POSTGRESQL_URL``'s,
dropped at the end) is migrated and seeded with the synthetic demo (the use case ``hipcare serve
--demo`` runs; ``--demo`` itself always serves its own SQLite file). Then ``hipcare serve
--workers 2`` on it, as docs/deploy.md runs it (JSON logs, plain http here so
``HIPCARE_SECURE_COOKIES=false``), and ``wrk -t1 -c32 -d30s`` with a Lua script that turns
through a fixed list of requests, each with its own session cookie: the site worklist and a
child's page for every demo clinician (signed in through ``POST /api/sign-in`` with the demo
password), the Today page for every demo family account, and ``/healthz``.

Reported: requests per second, p50/p99/max latency and errors (non-2xx/3xx answers and socket
errors) as wrk saw them, and per route class the count, the non-2xx answers and the server's own
p50/p99 time (``duration_ms`` of hipcare's request log line: from the request reaching the app
to its last byte out; it includes waits inside the worker, for its event loop or its thread
pool, behind other requests, but not the wait in the socket's queue before a worker takes the
connection). The workers' peak memory (VmHWM). The machine has 2 cores, shared by both
workers, PostgreSQL and wrk.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.bench_previews import signed_in
from bench.bench_web import (
    _WRK_LINE,
    HIPCARE,
    POSTGRESQL_URL,
    WRK_SECONDS,
    _free_port,
    _ms,
    _peak_rss_mb,
    _wait,
)

WORKERS = 2
CONNECTIONS = 32
STAFF = (
    # Every demo clinician (site administrators sign in with a second factor).
    "lee@harbour.example.org",
    "okafor@harbour.example.org",
    "nurse@harbour.example.org",
    "physio@harbour.example.org",
    "ot@harbour.example.org",
    "nguyen@northern.example.org",
    "physio@northern.example.org",
)
ROUTE_CLASSES = (
    ("worklist", re.compile(r"^/sites/[^/]+/worklist$")),
    ("child page", re.compile(r"^/children/\d+$")),
    ("family today", re.compile(r"^/family/children/\d+$")),
    ("healthz", re.compile(r"^/healthz$")),
)


def _say(message: str) -> None:
    print(f"[bench workers] {message}", flush=True)


@contextlib.contextmanager
def _demo_database() -> Iterator[tuple[str, str, list[str]] | None]:
    """A new PostgreSQL database with the demo: its URL, the demo password and the family
    emails; None when PostgreSQL is unreachable. Dropped afterwards."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from hipcare.bootstrap import load_content
    from hipcare.content.diary import load_diary_rules
    from hipcare.services.demo_seed import seed_demo
    from hipcare.settings import Settings
    from hipcare.storage import (
        SqlAlchemyUnitOfWork,
        create_database_engine,
        create_session_factory,
        upgrade_to_head,
    )

    admin = create_engine(
        POSTGRESQL_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        _say(f"PostgreSQL unreachable at {POSTGRESQL_URL}: {error.orig}")
        admin.dispose()
        yield None
        return
    name = f"hipcare_bench_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRESQL_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_to_head(url)
        timezone = Settings.from_environ({"HIPCARE_DATABASE_URL": url}).timezone
        engine = create_database_engine(url)
        try:
            now = datetime.now(UTC)
            report = seed_demo(
                SqlAlchemyUnitOfWork(create_session_factory(engine)),
                today=now.astimezone(ZoneInfo(timezone)).date(),
                now=now,
                content=load_content(),
                diary_rules=load_diary_rules(),
            )
        finally:
            engine.dispose()
        _say(f"database {name}: demo seeded ({report.children_added} children)")
        yield url, report.accounts[0].password, [family.email for family in report.families]
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def _workers_server(url: str, workdir: Path) -> Iterator[tuple[str, int, Path]]:
    """``hipcare serve --workers 2`` on ``url``: base URL, the supervisor's pid, its log."""
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HIPCARE_")}
    environ.update(
        HIPCARE_DATABASE_URL=url,
        HIPCARE_DATA_DIR=str(workdir),
        HIPCARE_SECURE_COOKIES="false",  # plain http on loopback
        HIPCARE_LOG_FORMAT="json",
    )
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(HIPCARE), "serve", "--workers", str(WORKERS), "--port", str(port)],
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait(base_url, process)
        yield base_url, process.pid, log_path
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _get_json(base_url: str, path: str, cookie: str) -> Any:
    request = urllib.request.Request(base_url + path, headers={"Cookie": cookie})  # noqa: S310 -- our own local server
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- as above
        return json.load(response)


def _requests(base_url: str, password: str, families: list[str]) -> list[tuple[str, str]]:
    """The rotation: (path, cookie) for each clinician's worklist and a child of theirs, each
    family's Today page, and ``/healthz`` between them."""
    rotation: list[tuple[str, str]] = []
    for email in STAFF:
        cookie, _ = signed_in(base_url, email, password)
        site = sorted(_get_json(base_url, "/api/me", cookie)["user"]["site_ids"])[0]
        entries = _get_json(base_url, f"/api/sites/{site}/worklist", cookie)
        rotation.append((f"/sites/{site}/worklist", cookie))
        if entries:
            child_id = entries[len(rotation) % len(entries)]["child_id"]
            rotation.append((f"/children/{child_id}", cookie))
        rotation.append(("/healthz", ""))
    for email in families:
        cookie, _ = signed_in(base_url, email, password)
        for child in _get_json(base_url, "/api/family/children", cookie):
            rotation.append((f"/family/children/{child['id']}", cookie))
            rotation.append(("/healthz", ""))
    for path, cookie in rotation:  # every one answers before the load starts
        request = urllib.request.Request(base_url + path, headers={"Cookie": cookie})  # noqa: S310 -- our own local server
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- as above
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status} before the load")
    return rotation


def _lua(rotation: list[tuple[str, str]]) -> str:
    entries = ",\n".join(f'  {{path = "{path}", cookie = "{cookie}"}}' for path, cookie in rotation)
    return (
        f"local requests = {{\n{entries}\n}}\n"
        "local next_one = 0\n"
        "request = function()\n"
        "  next_one = next_one % #requests + 1\n"
        "  local chosen = requests[next_one]\n"
        "  local headers = {}\n"
        '  if chosen.cookie ~= "" then headers["Cookie"] = chosen.cookie end\n'
        '  return wrk.format("GET", chosen.path, headers)\n'
        "end\n"
    )


def _run_wrk(base_url: str, script: Path) -> dict[str, Any]:
    output = subprocess.run(
        [
            "wrk",
            "-t1",  # one load thread: the second core is the workers' and PostgreSQL's
            f"-c{CONNECTIONS}",
            f"-d{WRK_SECONDS}s",
            "--latency",
            "-s",
            str(script),
            base_url + "/",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=WRK_SECONDS + 60,
    ).stdout
    figures: dict[str, Any] = {
        "requests_per_second": float(_WRK_LINE["requests_per_second"].search(output).group(1)),  # type: ignore[union-attr]  # wrk always prints it
        "requests": int(_WRK_LINE["requests"].search(output).group(1)),  # type: ignore[union-attr]  # as above
    }
    for key in ("p50", "p99", "max"):
        found = _WRK_LINE[key].search(output)
        figures[f"{key}_ms"] = round(_ms(found.group(1), found.group(2)), 1) if found else None
    non_2xx = _WRK_LINE["non_2xx"].search(output)
    sockets = _WRK_LINE["socket_errors"].search(output)
    figures["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    figures["socket_errors"] = sum(int(n) for n in sockets.groups()) if sockets else 0
    return figures


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return round(
        statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1], 1
    )


def _by_route_class(log_lines: list[str]) -> list[list[Any]]:
    """Rows of the route class table from hipcare's request log lines written under load."""
    times: dict[str, list[float]] = {name: [] for name, _ in ROUTE_CLASSES}
    refused: dict[str, int] = dict.fromkeys(times, 0)
    for line in log_lines:
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        path, status = record.get("path"), record.get("status")
        if path is None or status is None:
            continue
        for name, pattern in ROUTE_CLASSES:
            if pattern.match(path):
                times[name].append(float(record["duration_ms"]))
                refused[name] += not 200 <= int(status) < 300
                break
    return [
        [
            name,
            len(times[name]),
            refused[name],
            _percentile(times[name], 0.5),
            _percentile(times[name], 0.99),
        ]
        for name, _ in ROUTE_CLASSES
    ]


def _worker_pids(supervisor: int) -> list[int]:
    """uvicorn's worker processes (multiprocessing's spawned children, not its resource
    tracker)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children")
    pids = [int(pid) for pid in children.read_text(encoding="utf-8").split()]
    return [pid for pid in pids if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def run() -> dict[str, Any]:
    """Every figure of this module (see the module docstring)."""
    if shutil.which("wrk") is None:
        _say("wrk is not installed (./run bench installs it): skipped")
        return {"name": "several workers on PostgreSQL", "wrk": "not installed"}
    with _demo_database() as database:
        if database is None:
            return {"name": "several workers on PostgreSQL", "postgresql": "unreachable"}
        url, password, families = database
        with (
            tempfile.TemporaryDirectory(prefix="hipcare-bench-") as folder,
            _workers_server(url, Path(folder)) as (base_url, supervisor, log_path),
        ):
            rotation = _requests(base_url, password, families)
            script = Path(folder) / "mixed.lua"
            script.write_text(_lua(rotation), encoding="utf-8")
            workers = _worker_pids(supervisor)
            offset = log_path.stat().st_size
            load_before = round(os.getloadavg()[0], 2)
            _say(
                f"wrk: {len(rotation)} requests in turn, {CONNECTIONS} connections, "
                f"{WRK_SECONDS} s, {len(workers)} workers"
            )
            figures = _run_wrk(base_url, script)
            load_after = round(os.getloadavg()[0], 2)
            with log_path.open("rb") as log:
                log.seek(offset)
                written = log.read().decode("utf-8", errors="replace").splitlines()
            peaks = [_peak_rss_mb(pid) for pid in workers]
            restarts = sum('"Child process' in line and "died" in line for line in written)
    return {
        "name": f"several workers on PostgreSQL ({WORKERS} workers, {CONNECTIONS} connections, "
        f"{WRK_SECONDS} s, mixed clinicians and families)",
        "machine_note": "2 cores, shared by the workers, PostgreSQL and wrk (the load generator)",
        "load_average_1_min (before / after)": f"{load_before} / {load_after}",
        "workers": WORKERS,
        "requests_in_rotation": len(rotation),
        "rotation": ", ".join(
            f"{sum(bool(pattern.match(path)) for path, _ in rotation)} {name}"
            for name, pattern in ROUTE_CLASSES
        ),
        "requests_per_second": figures["requests_per_second"],
        "requests": figures["requests"],
        "p50_ms": figures["p50_ms"],
        "p99_ms": figures["p99_ms"],
        "max_ms": figures["max_ms"],
        "non_2xx_or_3xx": figures["non_2xx"],
        "socket_errors": figures["socket_errors"],
        "worker_restarts_during_load": restarts,
        "worker_peak_rss_mb": " / ".join(str(peak) for peak in peaks),
        "tables": {
            "Per route class (server side: hipcare's request log, duration_ms)": {
                "columns": ["route class", "requests", "non-2xx", "p50 ms", "p99 ms"],
                "rows": _by_route_class(written),
            }
        },
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
