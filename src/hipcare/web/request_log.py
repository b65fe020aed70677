"""The structured request log, as the web app uses it: see :mod:`hipcare.request_log`.

The formatter lives outside ``hipcare.web`` so that a ``hipcare serve --workers N`` worker
can set up its logging before it imports the web app: importing ``hipcare.web`` builds the
whole app (seconds on a busy machine), and uvicorn's supervisor restarts a worker that does
not answer its health check within its timeout.
"""

from __future__ import annotations

from hipcare.request_log import REQUEST_ID, JsonFormatter, request_id_from_header

__all__ = ["REQUEST_ID", "JsonFormatter", "request_id_from_header"]
