"""The family booklet as one printable HTML page (Jinja2, autoescaped).

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

__all__ = ["render_html"]

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


def _css(view: BookletView) -> tuple[Markup, Markup]:
    """The font list and accent colour for the stylesheet, checked and marked safe.

    Inside ``<style>`` HTML escaping does not apply (``&#34;`` would reach the CSS as is), so
    these values are validated instead: font names of letters, digits and spaces, and a
    ``#rrggbb`` colour.
    """
    names = list(dict.fromkeys((view.font_family, *_FALLBACK_FONTS)))
    bad = [name for name in names if not _FONT_NAME.match(name)]
    if bad:
        raise InvalidInputError("font_family", f"{bad[0]!r} is not a plain font name")
    if not _COLOUR.match(view.accent_colour):
        raise InvalidInputError("brand_colour", f"{view.accent_colour!r} is not a #rrggbb colour")
    fonts = ", ".join(f'"{name}"' for name in names) + ", sans-serif"
    return Markup(fonts), Markup(view.accent_colour)  # noqa: S704 -- validated just above


def render_html(view: BookletView) -> str:
    """The booklet as a standalone HTML document (no external files)."""
    fonts, accent = _css(view)
    return _environment().get_template("booklet.html").render(view=view, fonts=fonts, accent=accent)
