"""The clinician web app: ``create_app(settings)`` builds it (FastAPI, Jinja2 pages, JSON API).

An entry point builds :class:`hipcare.settings.Settings` from the environment, brings the
database to the newest migration, and hands the settings to :func:`create_app`
(``hipcare serve`` does all three). See ``docs/web.md``.
"""

from __future__ import annotations

from hipcare.web.app import create_app

__all__ = ["create_app"]
