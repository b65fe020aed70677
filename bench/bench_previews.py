"""``/healthz`` while twenty radiograph previews are drawn (issue 13, item 5).

On ``hipcare serve --demo`` (SQLite, one worker): a demo clinician uploads a synthetic
4096 x 4096 16-bit DICOM film (tests/fixtures/radiographs.py, 32 MB) to a demo child, then
asks for its preview (``GET /radiographs/{id}/preview.jpg?max_size=4096``) twenty times at
once, each with its own window (so none is answered from the preview cache: twenty renders of
the full-size film; the decoded film itself is shared once read, as on a ward). Meanwhile
another client asks ``/healthz`` one request after another until every preview has
answered. Twice (new windows the second time: the first round also reads the film from its
file and decodes it, the second finds it decoded in memory); beside ``/healthz`` asked the
same way on the idle server just before.

Reported: ``/healthz`` p50/p99/max idle and under the previews, the previews' own time (first
and last answer), and errors. Decoding and drawing run on a bounded pool of threads off the
event loop (``_HEAVY_THREADS`` in ``hipcare.web.routes.radiographs``); the issue measured 3 ms
idle against 231 ms under twenty previews when they ran on the loop. The film's file is read
on the threadpool too (on the loop it held ``/healthz`` up to 2.2 s in the first round).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench.bench_web import _server

PREVIEWS = 20
ROUNDS = 2
FILM_SIZE = 4096
IDLE_REQUESTS = 300
SLOW_MS = 100
CLINICIAN = "lee@harbour.example.org"


def _say(message: str) -> None:
    print(f"[bench previews] {message}", flush=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def signed_in(base_url: str, email: str, password: str) -> tuple[str, str]:
    """A demo account signed in through the JSON API: (session cookie, CSRF token)."""
    request = urllib.request.Request(  # noqa: S310 -- our own local server
        base_url + "/api/sign-in",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- as above
        csrf = json.load(response)["csrf_token"]
        for header in response.headers.get_all("set-cookie") or []:
            if header.startswith("hipcare_session="):
                return str(header.split(";", 1)[0]), str(csrf)
    raise RuntimeError("sign-in set no session cookie")


def first_child(base_url: str, cookie: str) -> int:
    """A demo child of the clinician's site."""
    request = urllib.request.Request(  # noqa: S310 -- our own local server
        base_url + "/api/sites/harbour-childrens/worklist", headers={"Cookie": cookie}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- as above
        return int(json.load(response)[0]["child_id"])


def upload(
    base_url: str, session: tuple[str, str], child_id: int, name: str, data: bytes
) -> tuple[int, str]:
    """``POST /children/{id}/radiographs`` as the upload form sends it (identifier warnings
    confirmed): the status and the ``Location`` (a 303 to the viewer) or the page's text."""
    cookie, csrf = session
    boundary = uuid.uuid4().hex
    fields = {"csrf_token": csrf, "film_date": "", "confirm_identifiers": "yes"}
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    )
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(  # noqa: S310 -- our own local server
        f"{base_url}/children/{child_id}/radiographs",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": cookie},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=300) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as answer:  # a 303 or a 422 comes back as an "error"
        text = answer.read().decode("utf-8", errors="replace")
        return answer.code, answer.headers.get("Location") or text


def _healthz_ms(base_url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(base_url + "/healthz", timeout=60) as response:  # noqa: S310 -- our own local server
        response.read()
    return 1000 * (time.perf_counter() - started)


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50": round(statistics.median(ordered), 1),
        "p99": round(cut[98], 1),
        "max": round(ordered[-1], 1),
    }


def _under_previews(
    base_url: str, cookie: str, film_id: int, round_number: int
) -> tuple[list[float], list[float], int]:
    """``/healthz`` times while ``PREVIEWS`` previews are in flight; the previews' times and
    how many did not answer 200."""
    preview_ms: list[float] = []
    failed = 0
    lock = threading.Lock()
    gate = threading.Barrier(PREVIEWS + 1)

    def one_preview(number: int) -> None:
        nonlocal failed
        # A window of its own: no preview comes from the cache.
        centre = 2000 + 37 * number + 1000 * round_number
        url = (
            f"{base_url}/radiographs/{film_id}/preview.jpg?max_size={FILM_SIZE}"
            f"&window_centre={centre}&window_width={3000 + number}"
        )
        request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 -- our own local server
        gate.wait()
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 -- as above
                response.read()
                ok = response.status == 200
        except urllib.error.HTTPError:
            ok = False
        with lock:
            preview_ms.append(1000 * (time.perf_counter() - started))
            failed += not ok

    threads = [threading.Thread(target=one_preview, args=(n,)) for n in range(PREVIEWS)]
    for thread in threads:
        thread.start()
    gate.wait()
    healthz: list[float] = []
    while any(thread.is_alive() for thread in threads):
        healthz.append(_healthz_ms(base_url))
    for thread in threads:
        thread.join()
    return healthz, preview_ms, failed


def run() -> dict[str, Any]:
    """Every figure of this module (see the module docstring)."""
    from tests.fixtures import radiographs as films

    data = films.dicom_bytes(rows=FILM_SIZE, columns=FILM_SIZE)
    with (
        tempfile.TemporaryDirectory(prefix="hipcare-bench-") as folder,
        _server(Path(folder), None) as (base_url, password, _),
    ):
        session = signed_in(base_url, CLINICIAN, password)
        child_id = first_child(base_url, session[0])
        status, where = upload(base_url, session, child_id, "film.dcm", data)
        if status != 303:
            raise RuntimeError(f"the {FILM_SIZE}-px film was not kept: {status}")
        film_id = int(where.rstrip("/").rsplit("/", 1)[-1])
        _say(f"film {film_id} uploaded ({len(data) // (1024 * 1024)} MB)")
        for _ in range(20):  # warm: connections, the app's first requests
            _healthz_ms(base_url)
        load_idle = round(os.getloadavg()[0], 2)
        idle = [_healthz_ms(base_url) for _ in range(IDLE_REQUESTS)]
        busy: list[float] = []
        previews: list[float] = []
        failed = 0
        rounds = []
        for round_number in range(ROUNDS):
            _say(f"round {round_number + 1}: {PREVIEWS} previews at once, /healthz meanwhile")
            healthz, preview_ms, round_failed = _under_previews(
                base_url, session[0], film_id, round_number
            )
            busy += healthz
            previews += preview_ms
            failed += round_failed
            figures = _percentiles(healthz)
            rounds.append(
                [
                    round_number + 1,
                    "read from the file" if round_number == 0 else "already in memory",
                    len(healthz),
                    figures["p50"],
                    figures["p99"],
                    figures["max"],
                    sum(ms > SLOW_MS for ms in healthz),
                    round(min(preview_ms)),
                    round(max(preview_ms)),
                    round(os.getloadavg()[0], 2),
                ]
            )
    idle_figures, busy_figures = _percentiles(idle), _percentiles(busy)
    return {
        "name": f"/healthz while {PREVIEWS} radiograph previews are drawn (one worker, SQLite)",
        "machine_note": "2 cores, shared by the server and the clients",
        "film": f"synthetic DX, {FILM_SIZE} x {FILM_SIZE}, 16-bit, uncompressed, "
        f"{len(data) // (1024 * 1024)} MB; previews at max_size={FILM_SIZE}, a window each",
        "load_average_1_min (idle / after each round)": f"{load_idle} / "
        + " / ".join(str(row[-1]) for row in rounds),
        "rounds": ROUNDS,
        "healthz_idle_requests": len(idle),
        "healthz_idle_p50_ms": idle_figures["p50"],
        "healthz_idle_p99_ms": idle_figures["p99"],
        "healthz_idle_max_ms": idle_figures["max"],
        "healthz_under_previews_requests": len(busy),
        "healthz_under_previews_p50_ms": busy_figures["p50"],
        "healthz_under_previews_p99_ms": busy_figures["p99"],
        "healthz_under_previews_max_ms": busy_figures["max"],
        "previews": len(previews),
        "preview_first_answer_ms": round(min(previews), 1),
        "preview_last_answer_ms": round(max(previews), 1),
        f"healthz_under_previews_over_{SLOW_MS}_ms": sum(ms > SLOW_MS for ms in busy),
        "previews_not_200": failed,
        "tables": {
            "Per round (the film is read from its file and decoded in the first round only)": {
                "columns": [
                    "round",
                    "film",
                    "/healthz requests",
                    "p50 ms",
                    "p99 ms",
                    "max ms",
                    f"over {SLOW_MS} ms",
                    "first preview ms",
                    "last preview ms",
                    "load average",
                ],
                "rows": rounds,
            }
        },
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
