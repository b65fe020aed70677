"""A ``hipcare serve --workers N`` worker sets up its JSON logging without building the app.

Uvicorn's supervisor pings each worker and restarts one that does not answer within its
health-check timeout; a worker configures logging before its answering thread starts. When
the JSON formatter lived in ``hipcare.web``, configuring logging imported the whole web app
(6 s on a busy machine) and workers were killed and restarted in a loop (found in session 5).
"""

from __future__ import annotations

import subprocess
import sys

from hipcare.cli.serve import _log_config


def test_the_json_formatter_loads_without_importing_the_web_app() -> None:
    path = _log_config("json")["formatters"]["json"]["()"]
    module = path.rpartition(".")[0]
    check = (
        "import logging.config, sys\n"
        f"import {module}\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('hipcare.web', 'fastapi')))\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""
