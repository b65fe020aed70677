"""The route modules of ``hipcare.web.routes``: every one of them is part of the app."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

import hipcare.web.routes
from hipcare.settings import Settings
from hipcare.storage import create_database_engine
from hipcare.web import create_app


def _endpoints(routes: Iterable[BaseRoute]) -> Iterator[Callable[..., Any]]:
    """The endpoints of ``routes``, looking inside an included router whether FastAPI keeps
    it whole (``original_router``) or copies its routes into the app."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if isinstance(included, APIRouter):
            yield from _endpoints(included.routes)
        elif isinstance(route, APIRoute):
            yield route.endpoint


def test_every_route_module_is_included_in_the_app(tmp_path: Path) -> None:
    """Each APIRouter a module of hipcare.web.routes defines is served by create_app's app."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'app.sqlite3'}", data_dir=tmp_path)
    engine = create_database_engine(settings.database_url)
    served = set(_endpoints(create_app(settings, engine=engine).routes))
    engine.dispose()
    missing = []
    for info in pkgutil.iter_modules(hipcare.web.routes.__path__):
        module = importlib.import_module(f"hipcare.web.routes.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, APIRouter):
                missing += [
                    f"{info.name}.{name}: {route.path}"
                    for route in value.routes
                    if isinstance(route, APIRoute) and route.endpoint not in served
                ]
    assert missing == []
