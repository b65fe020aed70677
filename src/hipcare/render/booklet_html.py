"""The family booklet as one printable HTML page (Jinja2, autoescaped).

The stylesheet (``templates/booklet.css``) is inline in a standalone file (``hipcare
booklet``); the web app links it instead (``stylesheet_url``, served by
:func:`render_stylesheet`), because its Content-Security-Policy allows no inline style.

``<html lang dir>`` carry the language and direction; headings are semantic (h1 title, h2
sections, h3 phases); tables have header cells; phone numbers sit in ``<bdi dir="ltr">`` so
right-to-left text never reverses their digit groups.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from markupsafe import Markup

from hipcare.domain.booklet import BookletView
from hipcare.domain.errors import InvalidInputError

if TYPE_CHECKING:
    import jinja2

__all__ = ["render_html", "render_stylesheet"]

_FALLBACK_FONTS = ("Noto Sans", "Noto Sans CJK SC")
_FONT_NAME = re.compile(r"^[A-Za-z0-9 ]+$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("hipcare.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _css(font_family: str, accent_colour: str) -> tuple[Markup, Markup]:
    """The font list and accent colour for the stylesheet, checked and marked safe.

    Inside ``<style>`` HTML escaping does not apply (``&#34;`` would reach the CSS as is), so
    these values are validated instead: font names of letters, digits and spaces, and a
    ``#rrggbb`` colour.
    """
    names = list(dict.fromkeys((font_family, *_FALLBACK_FONTS)))
    bad = [name for name in names if not _FONT_NAME.match(name)]
    if bad:
        raise InvalidInputError("font_family", f"{bad[0]!r} is not a plain font name")
    if not _COLOUR.match(accent_colour):
        raise InvalidInputError("brand_colour", f"{accent_colour!r} is not a #rrggbb colour")
    fonts = ", ".join(f'"{name}"' for name in names) + ", sans-serif"
    return Markup(fonts), Markup(accent_colour)  # noqa: S704 -- validated just above


def render_html(
    view: BookletView,
    *,
    stylesheet_url: str | None = None,
    back_url: str | None = None,
    back_label: str = "",
) -> str:
    """The booklet as an HTML document: standalone (the stylesheet inline, no external
    files), or with ``stylesheet_url`` linked instead; ``back_url`` adds a link back at the
    top (the web app's way back to the family's pages), labelled ``back_label``."""
    fonts, accent = _css(view.font_family, view.accent_colour)
    return (
        _environment()
        .get_template("booklet.html")
        .render(
            view=view,
            fonts=fonts,
            accent=accent,
            stylesheet_url=stylesheet_url,
            back_url=back_url,
            back_label=back_label,
        )
    )


def render_stylesheet(font_family: str, accent_colour: str) -> str:
    """The booklet's stylesheet for a language's font and a site's ``#rrggbb`` accent colour
    (both checked: :class:`InvalidInputError` names the one that is not plain)."""
    fonts, accent = _css(font_family, accent_colour)
    return _environment().get_template("booklet.css").render(fonts=fonts, accent=accent)
