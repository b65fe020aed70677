"""The ASGI entry point for servers: ``uvicorn --factory hipcare.web.asgi:app_from_environ``.

Settings come from the process environment (``HIPCARE_*``); the database must already be at
the newest migration (``hipcare serve`` runs them before starting workers).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from hipcare.settings import Settings
from hipcare.web.app import create_app

__all__ = ["app_from_environ"]


def app_from_environ() -> FastAPI:
    """The web app configured from ``os.environ``."""
    return create_app(Settings.from_environ(os.environ))
