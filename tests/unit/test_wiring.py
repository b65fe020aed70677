"""Content is loaded at one wiring point: services, the web app (routes, rendering, every
module but the app factory) and the renderers never call a content loader.

The entry points (``hipcare.web.create_app`` in ``web/app.py``, the ``hipcare`` commands) read
the shipped content with :func:`hipcare.bootstrap.load_content` and hand it in (model:
cosmicpython ``src/allocation/bootstrap.py``). A guarded module may take a value type or a
constant from ``hipcare.content`` (``Translator``, ``LANGUAGES``), never a function
(``load_*``, ``translator``, ``site_by_id``): those read files.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import hipcare
from hipcare.bootstrap import load_content
from hipcare.services.ports.content import Content

SRC = Path(hipcare.__file__).parent
GUARDED = (SRC / "services", SRC / "web", SRC / "render")
ENTRY_POINTS = (SRC / "web" / "app.py",)
"""The app factory wires the web app: it is the one module of the guarded folders that loads."""


def guarded_modules() -> Iterator[Path]:
    """Every module of the guarded folders but the entry points."""
    for folder in GUARDED:
        for path in sorted(folder.rglob("*.py")):
            if path not in ENTRY_POINTS:
                yield path


def content_functions_used(source: str) -> list[str]:
    """Functions a module takes from ``hipcare.content`` (by name or through the module)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hipcare.content"):
            found.extend(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if not alias.name[:1].isupper()
            )
        elif isinstance(node, ast.Import):
            found.extend(
                alias.name for alias in node.names if alias.name.startswith("hipcare.content")
            )
    return found


def test_no_service_route_or_renderer_calls_a_content_loader() -> None:
    """Every module in services/, web/ (but web/app.py) and render/ takes only value types
    from hipcare.content."""
    offenders = {
        str(path.relative_to(SRC)): used
        for path in guarded_modules()
        if (used := content_functions_used(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_guard_covers_rendering_and_spares_only_the_app_factory() -> None:
    """The web app's shared rendering helpers are guarded as its routes are; the app factory
    (the wiring point) is the one web module left out."""
    guarded = {path.relative_to(SRC).as_posix() for path in guarded_modules()}
    assert {
        "web/rendering/shell.py",
        "web/rendering/child_page.py",
        "web/rendering/family.py",
        "web/rendering/invitation_email.py",
        "web/routes/worklist.py",
        "web/asgi.py",
        "render/booklet_html.py",
        "services/journey.py",
    } <= guarded
    assert "web/app.py" not in guarded


def test_the_check_finds_a_loader_imported_by_name_or_module() -> None:
    """The check above reports both ways of reaching a loader, and lets a value type through."""
    source = (
        "from hipcare.content.surveillance import load_surveillance_rules\n"
        "from hipcare.content.i18n import LANGUAGES, Translator, translator\n"
        "import hipcare.content.sites\n"
    )
    assert content_functions_used(source) == [
        "hipcare.content.surveillance.load_surveillance_rules",
        "hipcare.content.i18n.translator",
        "hipcare.content.sites",
    ]


def test_the_loaded_content_is_read_once_and_is_what_the_services_take() -> None:
    """load_content gives the same object every time, and it satisfies the services' port."""
    first: Content = load_content()
    assert load_content() is first
    assert first.site(first.sites[0].id) is first.sites[0]
    assert first.words("en").code == "en"
