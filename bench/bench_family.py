"""The family "today" page under load: ``wrk -t1 -c32 -d30s`` (bench_web's ``_wrk``) against a
family member's today page (signed in through an invitation, a Lua script sends the session
cookie) and against a bare page on the same stack (``GET /sign-in`` without a session:
middleware and one template, no database), one after the other, in one run.

Two servers (``hipcare serve --demo``, SQLite, each its own data folder) run side by side: one
as deployed, with the page cache (``HIPCARE_PAGE_CACHE`` default, ADR 10), and one with
``HIPCARE_PAGE_CACHE=0``. The bare page and the cached today page are measured on the first;
the uncached today page on the second, so nobody takes the cached figure for a first view.
Under wrk the cached page renders once and then serves a kept copy: what a family's repeated
views cost. The uncached figure is every view's full cost (a first view, or any view after a
change to the child's record).

The family member is made the way a real one is: a demo nurse invites them from a demo child's
page (Lucas, surgery planned: a full plan of 27 steps), they accept the link and set a password.
Every request of the today page checks the session and the family link and audits the read
(one row written) in one short transaction; the cached page then looks up the copy rendered
under the child's record version, the day, the member and the language, the uncached page reads
the plan and item states in that transaction and renders the page.

Targets (issue 5): at least half the bare page's throughput, p99 under 50 ms, no errors.
The machine has 2 cores, shared by the servers and the load generator.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench.bench_web import HIPCARE, WRK_SECONDS, _free_port, _sign_in, _wait, _wrk

FAMILY_EMAIL = "bench.parent@example.org"
FAMILY_PASSWORD = "bench family password"  # noqa: S105 -- a synthetic benchmark account


def _say(message: str) -> None:
    print(f"[bench family] {message}", flush=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _post_form(url: str, fields: dict[str, str], cookie: str | None = None) -> Any:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(  # noqa: S310 -- our own local server
        url,
        data=urllib.parse.urlencode(fields).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            **({"Cookie": cookie} if cookie else {}),
        },
    )
    try:
        return opener.open(request, timeout=30)
    except urllib.error.HTTPError as answer:  # a 303 comes back as an "error" without redirects
        return answer


def _family_cookie(base_url: str, password: str) -> tuple[str, int]:
    """A family member of a demo child with a started plan, signed in: (cookie, child id)."""
    request = urllib.request.Request(  # noqa: S310 -- our own local server
        base_url + "/api/sign-in",
        data=json.dumps({"email": "nurse@harbour.example.org", "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- as above
        csrf = json.load(response)["csrf_token"]
        nurse = next(
            c.split(";", 1)[0]
            for c in response.headers.get_all("set-cookie") or []
            if c.startswith("hipcare_session=")
        )
    search = urllib.request.Request(  # noqa: S310 -- as above
        base_url + "/api/children?name=Lucas", headers={"Cookie": nurse}
    )
    with urllib.request.urlopen(search, timeout=30) as response:  # noqa: S310 -- as above
        child_id = int(json.load(response)[0]["id"])
    invited = (
        _post_form(
            f"{base_url}/children/{child_id}/invite-family",
            {"csrf_token": csrf, "email": FAMILY_EMAIL},
            nurse,
        )
        .read()
        .decode()
    )
    link = re.search(r'id="invite-link" type="text" readonly value="[^"]*(/invite/[^"]+)"', invited)
    if link is None:
        raise RuntimeError("the invitation page showed no link")
    accepted = _post_form(
        base_url + link.group(1), {"display_name": "Bench Parent", "password": FAMILY_PASSWORD}
    )
    for header in accepted.headers.get_all("set-cookie") or []:
        if header.startswith("hipcare_session="):
            return header.split(";", 1)[0], child_id
    raise RuntimeError("accepting the invitation set no session cookie")


def _start(workdir: Path, **variables: str) -> tuple[subprocess.Popen[bytes], str, str]:
    """``hipcare serve --demo`` in ``workdir`` with extra ``HIPCARE_*`` variables: the
    process, its base URL and the demo password, once it answers."""
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HIPCARE_")}
    environ["HIPCARE_DATA_DIR"] = str(workdir)
    environ.update(variables)
    with (workdir / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [str(HIPCARE), "serve", "--demo", "--port", str(port)],
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait(base_url, process)
    except BaseException:
        _stop(process)
        raise
    printed = (workdir / "server.log").read_text(encoding="utf-8")
    password = re.search(r"password for all: ([^)]+)\)", printed).group(1)  # type: ignore[union-attr]  # the demo always prints it
    return process, base_url, password


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def _today_url(base_url: str, password: str) -> tuple[str, str]:
    """A family member's today page on this server, checked once: (URL, cookie)."""
    _sign_in(base_url, "lee@harbour.example.org", password)  # warms the app
    cookie, child_id = _family_cookie(base_url, password)
    today_url = f"{base_url}/family/children/{child_id}?lang=en"
    check = urllib.request.Request(today_url, headers={"Cookie": cookie})  # noqa: S310 -- our own local server
    with urllib.request.urlopen(check, timeout=30) as response:  # noqa: S310 -- as above
        page = response.read().decode()
    if "Today for Lucas" not in page:
        raise RuntimeError("the today page did not render for the family member")
    return today_url, cookie


def _meets(figures: dict[str, Any], bare: dict[str, Any]) -> tuple[float, bool]:
    ratio = figures["requests_per_second"] / bare["requests_per_second"]
    meets = ratio >= 0.5 and (figures["p99_ms"] or 1e9) < 50 and figures["errors"] == 0
    return round(ratio, 2), meets


def run() -> dict[str, Any]:
    """The cached and the uncached today page against the bare page (module docstring)."""
    if shutil.which("wrk") is None:
        _say("wrk is not installed (./run bench installs it): the load test is skipped")
        return {"name": "family today page under wrk", "wrk": "not installed"}
    with (
        tempfile.TemporaryDirectory(prefix="hipcare-bench-family-") as cached_folder,
        tempfile.TemporaryDirectory(prefix="hipcare-bench-family-uncached-") as uncached_folder,
    ):
        cached_server, cached_url, cached_password = _start(Path(cached_folder))
        try:
            uncached_server, uncached_url, uncached_password = _start(
                Path(uncached_folder), HIPCARE_PAGE_CACHE="0"
            )
            try:
                today_url, cookie = _today_url(cached_url, cached_password)
                uncached_today_url, uncached_cookie = _today_url(uncached_url, uncached_password)
                path = today_url.removeprefix(cached_url)
                _say(
                    f"wrk: bare page /sign-in, then {path} cached, then uncached "
                    f"({WRK_SECONDS} s each)"
                )
                bare = _wrk(cached_url + "/sign-in", None, Path(cached_folder))
                today = _wrk(today_url, cookie, Path(cached_folder))
                uncached = _wrk(uncached_today_url, uncached_cookie, Path(uncached_folder))
            finally:
                _stop(uncached_server)
        finally:
            _stop(cached_server)
    ratio, meets = _meets(today, bare)
    uncached_ratio, uncached_meets = _meets(uncached, bare)
    return {
        "name": f"family today page under wrk (32 connections, {WRK_SECONDS} s, SQLite demo)",
        "machine_note": "2 cores, shared by the servers and wrk (the load generator)",
        "load_average_1_min": round(os.getloadavg()[0], 2),
        "bare_page_requests_per_second": bare["requests_per_second"],
        "bare_page_p99_ms": bare["p99_ms"],
        "bare_page_errors": bare["errors"],
        "today_page_requests_per_second": today["requests_per_second"],
        "today_page_p50_ms": today["p50_ms"],
        "today_page_p99_ms": today["p99_ms"],
        "today_page_max_ms": today["max_ms"],
        "today_page_errors": today["errors"],
        "today_page_throughput_ratio": ratio,
        "today_page_meets_targets": meets,
        "uncached_today_page_requests_per_second": uncached["requests_per_second"],
        "uncached_today_page_p50_ms": uncached["p50_ms"],
        "uncached_today_page_p99_ms": uncached["p99_ms"],
        "uncached_today_page_errors": uncached["errors"],
        "uncached_today_page_throughput_ratio": uncached_ratio,
        "uncached_today_page_meets_targets": uncached_meets,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
