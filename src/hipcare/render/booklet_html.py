"""The family booklet as one printable HTML page (Jinja2, autoescaped).

``<html lang dir>`` carry the language and direction; headings are semantic (h1 title, h2
sections, h3 phases); tables have header cells; phone numbers sit in ``<bdi dir="ltr">`` so
right-to-left text never reverses their digit groups.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from hipcare.services.booklet_view import BookletView

if TYPE_CHECKING:
    import jinja2

__all__ = ["render_html"]

_FALLBACK_FONTS = ('"Noto Sans"', '"Noto Sans CJK SC"', "sans-serif")


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


def render_html(view: BookletView) -> str:
    """The booklet as a standalone HTML document (no external files)."""
    fonts = ", ".join(dict.fromkeys((f'"{view.font_family}"', *_FALLBACK_FONTS)))
    return _environment().get_template("booklet.html").render(view=view, fonts=fonts)
