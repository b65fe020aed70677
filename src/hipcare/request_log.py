"""Structured logs: one JSON object a line, each carrying the id of the request it belongs to.

``hipcare serve`` uses :class:`JsonFormatter` for every log line (uvicorn's and hipcare's) unless
``HIPCARE_LOG_FORMAT=text``. The request id is set for each request by the operations
middleware (:mod:`hipcare.web.routes.monitoring`), taken from the proxy's ``X-Request-ID`` when
it is a plain token, and sent back in the response's ``X-Request-ID``, so a proxy's access log
and hipcare's lines can be joined.

What a line holds is what the code logged: hipcare logs method, path (bearer tokens masked)
and status, and ids only. An exception is logged as its type and the places it passed
(file, line, function), never its message: a database error's message can quote the values
of the row it refused.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = ["REQUEST_ID", "JsonFormatter", "request_id_from_header"]

REQUEST_ID: ContextVar[str | None] = ContextVar("hipcare_request_id", default=None)
"""The id of the request being handled (None outside a request)."""

_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Fields a record may carry through ``extra=`` that a line shows as its own keys.
_EXTRA_FIELDS = ("method", "path", "route", "status", "duration_ms")


def request_id_from_header(value: str | None) -> str:
    """The proxy's request id when it is a plain token of at most 64 characters, otherwise
    a new random one (a header is never copied into the log unchecked)."""
    if value is not None and _PLAIN_TOKEN.fullmatch(value):
        return value
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time (UTC), level, logger, message, request id."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        for name in _EXTRA_FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, trace = record.exc_info
            frames = []
            while trace is not None:
                code = trace.tb_frame.f_code
                frames.append(f"{code.co_filename}:{trace.tb_lineno}:{code.co_name}")
                trace = trace.tb_next
            line["exception"] = {"type": kind.__name__, "frames": frames}
        return json.dumps(line, ensure_ascii=False, default=str)
