"""The ASGI entry point for servers: ``uvicorn --factory hipcare.web.asgi:app_from_environ``.

Settings come from the process environment (``HIPCARE_*``); the database must already be at
the newest migration (``hipcare serve`` runs them before starting workers).
"""

from __future__ import annotations

import gc
import os

from fastapi import FastAPI

from hipcare.services.family.reminders import web_smtp_settings
from hipcare.settings import Settings
from hipcare.web.app import create_app

__all__ = ["GC_YOUNG_THRESHOLD", "app_from_environ"]

GC_YOUNG_THRESHOLD = 10_000
"""Allocations between young-generation collections in a server worker (CPython's default
is 700). A request allocates a few thousand objects and frees almost all of them itself."""


def app_from_environ() -> FastAPI:
    """The web app configured from ``os.environ``, in a worker tuned for serving.

    Once the app is built, everything loaded so far (modules, templates, content, the
    pathway) is moved out of the garbage collector's reach (``gc.freeze``, CPython docs
    "gc — Garbage Collector interface"), and young collections run less often: without
    this, full collections walking those long-lived objects paused a worker for 7-10 ms
    every few hundred requests, and each pause held up every request queued behind it
    (measured under wrk, docs/adr/0010). Reference counting still frees a request's objects
    at once; only cycles wait a little longer.
    """
    app = create_app(Settings.from_environ(os.environ), smtp=web_smtp_settings(os.environ))
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, oldest)
    return app
