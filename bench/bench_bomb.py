"""The server's memory when a decompression bomb is uploaded (issue 13, item 5).

A one-colour 9400 x 9400 PNG (about 100 KB) and JPEG (about 1 MB) each decode to 88 million
pixels, more than ``MAX_PIXELS`` (64 million). On ``hipcare serve --demo`` (SQLite, one
worker) a demo clinician uploads each to a demo child's film upload
(``POST /children/{id}/radiographs``); the server should refuse it from the image's header,
before decoding (the issue measured 234 MB growing to 986 MB when it decoded the PNG).

Each file is uploaded twice: the server's first upload also imports the film reader (Pillow,
numpy), which the second does not. Reported per upload: the answer (status and the refusal's
words), the server process's resident memory (VmRSS) just before, the highest seen while the
upload was handled (read from ``/proc/<pid>/status`` every 5 ms) and after, and its lifetime
peak (VmHWM) before and after.
"""

from __future__ import annotations

import html
import io
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.bench_previews import CLINICIAN, first_child, signed_in, upload
from bench.bench_web import _server

SIDE = 9400
SAMPLE_SECONDS = 0.005


def _say(message: str) -> None:
    print(f"[bench bomb] {message}", flush=True)


def _status_mb(pid: int, field: str) -> float:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    found = re.search(rf"{field}:\s+(\d+) kB", status)
    return round(int(found.group(1)) / 1024, 1) if found else float("nan")


def _bombs() -> dict[str, bytes]:
    from PIL import Image

    image = Image.new("L", (SIDE, SIDE), 128)
    files = {}
    for name, image_format in (("bomb.png", "PNG"), ("bomb.jpg", "JPEG")):
        buffer = io.BytesIO()
        image.save(
            buffer, format=image_format, **({"optimize": True} if name.endswith("png") else {})
        )
        files[name] = buffer.getvalue()
    image.close()
    return files


def _refusal(page: str) -> str:
    """The file field's error on the upload page."""
    found = re.search(r'<p class="field-error" id="file-error">([^<]*)</p>', page)
    return html.unescape(found.group(1)).strip() if found else "(no error shown for the file)"


def _upload_watched(
    base_url: str, session: tuple[str, str], child_id: int, pid: int, name: str, data: bytes
) -> dict[str, Any]:
    before = _status_mb(pid, "VmRSS")
    peak_before = _status_mb(pid, "VmHWM")
    highest = before
    done = threading.Event()

    def watch() -> None:
        nonlocal highest
        while not done.is_set():
            highest = max(highest, _status_mb(pid, "VmRSS"))
            time.sleep(SAMPLE_SECONDS)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.perf_counter()
    try:
        status, answer = upload(base_url, session, child_id, name, data)
    finally:
        seconds = time.perf_counter() - started
        done.set()
        watcher.join()
    return {
        "file": name,
        "size_kb": round(len(data) / 1024),
        "status": status,
        "answer": _refusal(answer) if status == 422 else answer[:80],
        "ms": round(1000 * seconds, 1),
        "rss_before_mb": before,
        "rss_highest_mb": highest,
        "rss_after_mb": _status_mb(pid, "VmRSS"),
        "hwm_before_mb": peak_before,
        "hwm_after_mb": _status_mb(pid, "VmHWM"),
    }


def run() -> dict[str, Any]:
    """Every figure of this module (see the module docstring)."""
    files = _bombs()
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="hipcare-bench-") as folder,
        _server(Path(folder), None) as (base_url, password, pid),
    ):
        session = signed_in(base_url, CLINICIAN, password)
        child_id = first_child(base_url, session[0])
        load = round(os.getloadavg()[0], 2)
        # Twice each: the first upload of the server's life also imports the film reader.
        for upload_number in ("first", "again"):
            for name, data in files.items():
                _say(f"{name} ({upload_number}): {len(data) // 1024} KB, {SIDE} x {SIDE} pixels")
                figures = {
                    "upload": upload_number,
                    **_upload_watched(base_url, session, child_id, pid, name, data),
                }
                rows.append(list(figures.values()))
                columns = list(figures)
    refused = all(row[columns.index("status")] == 422 for row in rows)
    growth = max(
        row[columns.index("rss_highest_mb")] - row[columns.index("rss_before_mb")]
        for row in rows
        if row[0] == "again"
    )
    return {
        "name": f"decompression bomb upload: {SIDE} x {SIDE} one-colour PNG and JPEG "
        "(one worker, SQLite)",
        "load_average_1_min": load,
        "pixels": SIDE * SIDE,
        "every_bomb_refused_422": refused,
        "largest_rss_growth_during_a_second_upload_mb": round(growth, 1),
        "tables": {
            "Per file: the answer and the server process's memory": {
                "columns": columns,
                "rows": rows,
            }
        },
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key}: {value}")
