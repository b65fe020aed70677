"""The PDF booklet in every language: tagged PDF/UA-1, fonts embedded, text extractable and right.

Each booklet is rendered once per module with one shared renderer, then read back with
poppler (pdfinfo, pdffonts, pdftotext) and pypdf, tools independent of typst.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hipcare.bootstrap import load_content
from hipcare.content.i18n import LANGUAGES, translator
from hipcare.domain.booklet import BookletView
from hipcare.render.booklet_pdf import BookletPdfRenderer
from hipcare.render.text_layer import word_recall
from hipcare.services.booklet import build_booklet_view
from hipcare.services.pathway import parse_facts

CONTENT = load_content()

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PRINTED_ON = datetime.date(2026, 11, 25)
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ZWNJ = "\u200c"


@dataclasses.dataclass(frozen=True)
class Rendered:
    view: BookletView
    path: Path
    info: dict[str, str]
    text: str


def _poppler(tool: str, path: Path) -> str:
    """Run a poppler tool on ``path``; pdftotext writes UTF-8 text to standard output."""
    argv = [tool, "-enc", "UTF-8", str(path), "-"] if tool == "pdftotext" else [tool, str(path)]
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=30).stdout


def _flat(text: str) -> str:
    """Text without bidi controls, zero-width non-joiners and whitespace, for substring checks.

    (Extractors drop the non-joiner, which only shapes Persian letters, and insert controls.)
    """
    return re.sub(r"\s+", "", _BIDI.sub("", text).replace(_ZWNJ, ""))


@pytest.fixture(scope="module")
def renderer() -> BookletPdfRenderer:
    return BookletPdfRenderer()


@pytest.fixture(scope="module")
def booklets(
    renderer: BookletPdfRenderer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Rendered]:
    facts = parse_facts(
        json.loads((FIXTURES / "facts_both_dega_nwb.json").read_text("utf-8")), content=CONTENT
    )
    folder = tmp_path_factory.mktemp("booklets")
    rendered = {}
    for code in LANGUAGES:
        view = build_booklet_view(facts, translator(code), PRINTED_ON, content=CONTENT)
        path = folder / f"booklet-{code}.pdf"
        path.write_bytes(renderer.render(view))
        info = dict(
            line.split(":", 1) for line in _poppler("pdfinfo", path).splitlines() if ":" in line
        )
        rendered[code] = Rendered(
            view, path, {k.strip(): v.strip() for k, v in info.items()}, _poppler("pdftotext", path)
        )
    return rendered


@pytest.mark.parametrize("code", LANGUAGES)
def test_booklet_is_tagged_titled_and_three_to_six_pages(
    booklets: dict[str, Rendered], code: str
) -> None:
    booklet = booklets[code]
    assert booklet.info["Tagged"] == "yes"
    assert booklet.info["Title"] == booklet.view.title
    assert 3 <= int(booklet.info["Pages"]) <= 6


@pytest.mark.parametrize("code", LANGUAGES)
def test_booklet_declares_pdf_ua_its_language_and_structure(
    booklets: dict[str, Rendered], code: str
) -> None:
    from pypdf import PdfReader

    root = PdfReader(booklets[code].path).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert "/StructTreeRoot" in root
    assert str(root["/Lang"]).split("-")[0] == code.split("-")[0]
    metadata = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert "pdfuaid:part" in metadata


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_font_is_embedded(booklets: dict[str, Rendered], code: str) -> None:
    rows = _poppler("pdffonts", booklets[code].path).splitlines()[2:]
    assert rows, "a booklet uses at least one font"
    # Columns: name type encoding emb sub uni object-id; "emb" is the fourth from the end.
    assert [row.split()[-4] for row in rows] == ["yes"] * len(rows)


@pytest.mark.parametrize("code", LANGUAGES)
def test_text_holds_the_surgery_date_written_the_language_way(
    booklets: dict[str, Rendered], code: str
) -> None:
    surgery = translator(code).format_date(datetime.date(2027, 5, 17))
    assert _flat(surgery) in _flat(booklets[code].text)


@pytest.mark.parametrize("code", LANGUAGES)
def test_text_holds_the_translated_headings_in_reading_order(
    booklets: dict[str, Rendered], code: str
) -> None:
    """Each heading comes out whole, words in order (right-to-left ones included)."""
    flat = _flat(booklets[code].text)
    for heading in booklets[code].view.headings.values():
        assert _flat(heading) in flat, heading


@pytest.mark.parametrize("code", LANGUAGES)
def test_text_layer_recalls_the_words_typeset(booklets: dict[str, Rendered], code: str) -> None:
    """Measured: 1.0 for en, vi, zh-Hans, zh-Hant, ar; 0.996 for fa (Babel's 'مهٔ' for May)."""
    booklet = booklets[code]
    assert word_recall("\n".join(booklet.view.family_texts()), booklet.text) >= 0.98


@pytest.mark.parametrize("code", ["ar", "fa"])
def test_phone_numbers_keep_their_digit_order_in_right_to_left_text(
    booklets: dict[str, Rendered], code: str
) -> None:
    assert "02 5550 2240" in _BIDI.sub("", booklets[code].text)


@pytest.mark.parametrize("code", ["ar", "fa", "zh-Hans", "zh-Hant", "vi"])
def test_translated_booklets_say_they_are_not_clinically_reviewed(
    booklets: dict[str, Rendered], code: str
) -> None:
    flat = _flat(booklets[code].text)
    assert _flat(booklets[code].view.reviewed_status) in flat
    assert "Clinicallyreviewed:no." in flat


def test_chinese_booklets_use_their_own_script(booklets: dict[str, Rendered]) -> None:
    simplified, traditional = booklets["zh-Hans"].text, booklets["zh-Hant"].text
    assert "医护团队" in simplified
    assert "醫護團隊" in traditional
    assert "醫護團隊" not in simplified


def test_typst_markup_in_text_stays_literal(renderer: BookletPdfRenderer, tmp_path: Path) -> None:
    """Text reaches typst as JSON data, so markup characters print as themselves."""
    facts = parse_facts(
        json.loads((FIXTURES / "facts_demo.json").read_text("utf-8")), content=CONTENT
    )
    view = build_booklet_view(facts, translator("en"), PRINTED_ON, content=CONTENT)
    hostile = 'Call #panic("x") *now* $x^2$ <label> @ref `raw` _under_ \\ ] } end.'
    path = tmp_path / "literal.pdf"
    path.write_bytes(renderer.render(dataclasses.replace(view, intro=hostile)))
    text = _poppler("pdftotext", path)
    assert word_recall(hostile, text) == 1.0
    for literal in ('#panic("x")', "*now*", "$x^2$", "<label>", "_under_"):
        assert literal in text


def test_booklets_typeset_in_a_row_each_show_their_own_child(
    renderer: BookletPdfRenderer, tmp_path: Path
) -> None:
    """typst reuses cached layout between booklets; nothing of the child before may remain."""
    data = json.loads((FIXTURES / "facts_both_dega_nwb.json").read_text("utf-8"))
    for offset_days in (0, 1, 0, 37):
        day = datetime.date(2027, 5, 17) + datetime.timedelta(days=offset_days)
        facts = parse_facts(data | {"surgery_date": day.isoformat()}, content=CONTENT)
        view = build_booklet_view(facts, translator("en"), PRINTED_ON, content=CONTENT)
        path = tmp_path / f"child-{offset_days}.pdf"
        path.write_bytes(renderer.render(view))
        text = _flat(_poppler("pdftotext", path))
        assert _flat(view.intro) in text
        assert [_flat(key.date_text) in text for key in view.key_dates] == [True] * 4


def test_booklets_typeset_from_many_threads_each_show_their_own_child(
    renderer: BookletPdfRenderer, tmp_path: Path
) -> None:
    """The web app shares one renderer between threads; each booklet keeps its own data."""
    data = json.loads((FIXTURES / "facts_both_dega_nwb.json").read_text("utf-8"))
    views = [
        build_booklet_view(
            parse_facts(data | {"surgery_date": f"2027-0{month}-1{month}"}, content=CONTENT),
            translator("en"),
            PRINTED_ON,
            content=CONTENT,
        )
        for month in range(1, 9)
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pdfs = list(pool.map(renderer.render, views))
    for index, (view, pdf) in enumerate(zip(views, pdfs, strict=True)):
        path = tmp_path / f"thread-{index}.pdf"
        path.write_bytes(pdf)
        assert _flat(view.intro) in _flat(_poppler("pdftotext", path))


def test_the_same_booklet_gives_the_same_bytes(renderer: BookletPdfRenderer) -> None:
    """No clock inside the PDF: a booklet can be reproduced and compared byte for byte."""
    facts = parse_facts(
        json.loads((FIXTURES / "facts_demo.json").read_text("utf-8")), content=CONTENT
    )
    view = build_booklet_view(facts, translator("vi"), PRINTED_ON, content=CONTENT)
    first = renderer.render(view)
    assert renderer.render(view) == first
    assert renderer.render(dataclasses.replace(view, printed_on="In ngày 1.")) != first
