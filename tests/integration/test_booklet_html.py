"""The HTML booklet: language and direction, semantic structure, escaping, English fallback."""

from __future__ import annotations

import dataclasses
import datetime
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hipcare.bootstrap import load_content
from hipcare.content.i18n import LANGUAGES, Translator, catalog_path, language, locale_directory
from hipcare.content.i18n import translator as shipped_translator
from hipcare.render.booklet_html import render_html
from hipcare.services.booklet import build_booklet_view
from hipcare.services.pathway import parse_facts

CONTENT = load_content()

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PRINTED_ON = datetime.date(2026, 11, 25)


def _facts(name: str = "facts_demo.json") -> object:
    return parse_facts(json.loads((FIXTURES / name).read_text("utf-8")), content=CONTENT)


class _Outline(HTMLParser):
    """Collects the html element's attributes, the heading levels and the checkbox count."""

    def __init__(self) -> None:
        super().__init__()
        self.html_attributes: dict[str, str | None] = {}
        self.headings: list[str] = []
        self.checkboxes = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.html_attributes = dict(attrs)
        elif tag in {"h1", "h2", "h3"}:
            self.headings.append(tag)
        elif tag == "input" and ("type", "checkbox") in attrs:
            self.checkboxes += 1


def _outline(html: str) -> _Outline:
    outline = _Outline()
    outline.feed(html)
    return outline


@pytest.mark.parametrize("code", LANGUAGES)
def test_html_declares_language_and_direction(code: str) -> None:
    view = build_booklet_view(_facts(), shipped_translator(code), PRINTED_ON, content=CONTENT)
    attributes = _outline(render_html(view)).html_attributes
    assert attributes["lang"] == code
    assert attributes["dir"] == ("rtl" if code in {"ar", "fa"} else "ltr")


def test_html_has_one_title_then_sections_then_phases_with_a_box_per_step() -> None:
    view = build_booklet_view(_facts(), shipped_translator("en"), PRINTED_ON, content=CONTENT)
    outline = _outline(render_html(view))
    assert outline.headings[0] == "h1"
    assert outline.headings.count("h1") == 1
    assert outline.headings.count("h2") == 5
    assert outline.headings.count("h3") == len(view.phases)
    # A box per task; information is read, not ticked (issue 17).
    assert outline.checkboxes == sum(
        1 for phase in view.phases for entry in phase.entries if not entry.information
    )


def test_html_escapes_every_text() -> None:
    view = build_booklet_view(_facts(), shipped_translator("en"), PRINTED_ON, content=CONTENT)
    html = render_html(dataclasses.replace(view, intro='<script>alert("x")</script> & more'))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&amp; more" in html


def test_html_keeps_phone_numbers_left_to_right_in_arabic() -> None:
    view = build_booklet_view(_facts(), shipped_translator("ar"), PRINTED_ON, content=CONTENT)
    assert '<bdi dir="ltr">02 5550 1240</bdi>' in render_html(view)


def test_html_shows_the_child_dates_in_the_language() -> None:
    view = build_booklet_view(_facts(), shipped_translator("vi"), PRINTED_ON, content=CONTENT)
    html = render_html(view)
    assert "1 tháng 3, 2027" in html
    assert '<time datetime="2027-03-01">' in html


def test_booklet_says_numbers_are_examples_when_the_site_is_synthetic() -> None:
    view = build_booklet_view(_facts(), shipped_translator("en"), PRINTED_ON, content=CONTENT)
    assert view.contacts_note.startswith("These phone numbers are examples only.")
    assert "These phone numbers are examples only." in render_html(view)


def test_missing_translations_fall_back_to_english_and_are_counted(tmp_path: Path) -> None:
    """A deliberately incomplete Vietnamese catalog: the two blanked strings show in English."""
    from babel.messages.pofile import read_po, write_po

    copy = tmp_path / "locale"
    shutil.copytree(locale_directory(), copy)
    path = catalog_path(language("vi"), copy)
    with path.open("rb") as handle:
        catalog = read_po(handle)
    catalog["Key dates"].string = ""
    catalog["Check the skin"].string = ""
    with path.open("wb") as handle:
        write_po(handle, catalog)

    view = build_booklet_view(_facts(), Translator.load("vi", copy), PRINTED_ON, content=CONTENT)
    html = render_html(view)
    assert view.fallback_count == 2
    assert "Key dates" in html
    assert "Check the skin" in html
    assert "Dấu hiệu cảnh báo" in html


def test_a_complete_language_counts_no_fallbacks() -> None:
    for code in LANGUAGES:
        view = build_booklet_view(_facts(), shipped_translator(code), PRINTED_ON, content=CONTENT)
        assert view.fallback_count == 0, code


def test_stylesheet_names_the_language_font_unescaped() -> None:
    """Escaping does not apply inside <style>, so the font list must arrive as plain CSS."""
    view = build_booklet_view(_facts(), shipped_translator("ar"), PRINTED_ON, content=CONTENT)
    html = render_html(view)
    assert 'font-family: "Noto Naskh Arabic", "Noto Sans", "Noto Sans CJK SC", sans-serif;' in html
    assert "--accent: #1b5e8c;" in html


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"font_family": 'x"; } body { display: none'}, "font_family"),
        ({"accent_colour": "red; background: url(x)"}, "brand_colour"),
    ],
)
def test_stylesheet_values_that_could_break_out_of_css_are_refused(
    change: dict[str, str], field: str
) -> None:
    from hipcare.domain.errors import InvalidInputError

    view = build_booklet_view(_facts(), shipped_translator("en"), PRINTED_ON, content=CONTENT)
    with pytest.raises(InvalidInputError) as caught:
        render_html(dataclasses.replace(view, **change))
    assert caught.value.field == field
