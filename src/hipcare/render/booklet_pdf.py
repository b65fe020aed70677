"""The family booklet as a tagged PDF (PDF/UA-1), typeset by typst.

The translated view model goes to the typst template as one JSON file, ``booklet.json``, beside
a copy of the template in a private folder; the template reads it with ``json(...)``, so family
text and names are never parsed as typst markup and need no escaping. One
:class:`BookletPdfRenderer` keeps one ``typst.Compiler`` for every document: building a compiler
scans the fonts (90-180 ms here). typst then reuses the layout of every paragraph that did not
change since an earlier booklet -- which is why the data is a file and not ``sys.inputs``: the
inputs are part of typst's standard library, and any change to them made every cached layout
stale. A new child's booklet then takes 10-18 ms here, 19-24 ms when languages alternate (see
``docs/adr/0003-pdf-engine-typst.md`` and ``docs/benchmarks.md``).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import threading
import weakref
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hipcare.domain.booklet import BookletView
from hipcare.domain.errors import HipcareError

__all__ = [
    "FONT_DIRECTORIES",
    "BookletPdfRenderer",
    "BookletRenderError",
    "default_pdf_renderer",
    "view_as_json",
]


class BookletRenderError(HipcareError):
    """typst could not typeset the booklet (a fault of hipcare's template, reported in one line)."""


#: Debian's Noto fonts (fonts-noto-core, fonts-noto-cjk); typst embeds the subsets it uses.
FONT_DIRECTORIES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
)

# typst wants an ISO 639 language and an ISO 3166 region (the region picks regional glyph
# forms in CJK fonts and becomes part of the PDF's /Lang). Traditional Chinese is written for
# Cantonese readers here, hence Hong Kong.
_TYPST_LANGUAGE: dict[str, tuple[str, str | None]] = {
    "en": ("en", "AU"),
    "ar": ("ar", None),
    "zh-Hans": ("zh", "CN"),
    "zh-Hant": ("zh", "HK"),
    "vi": ("vi", None),
    "fa": ("fa", None),
}

# Fonts after the language's own: Latin (names, digits, "VDRO") and CJK for any stray glyph.
_FALLBACK_FONTS = ("Noto Sans", "Noto Sans CJK SC")


def view_as_json(view: BookletView) -> str:
    """The view model as the JSON document the typst template reads."""
    language, region = _TYPST_LANGUAGE[view.lang]
    fonts = list(dict.fromkeys((view.font_family, *_FALLBACK_FONTS)))
    document: dict[str, Any] = dataclasses.asdict(view)
    document |= {
        "typst_lang": language,
        "typst_region": region,
        "fonts": fonts,
        "headings": dict(view.headings),
        "labels": dict(view.labels),
        "warning": {
            "after_surgery_intro": view.warning_after_surgery_intro,
            "after_surgery": list(view.warning_after_surgery),
            "skin": view.warning_skin,
            "sick_before_surgery": view.warning_sick_before_surgery,
            "sick_after_surgery": view.warning_sick_after_surgery,
            "very_unwell": view.warning_very_unwell,
        },
        "footer": f"{view.title} · {view.language_name}",
    }
    return json.dumps(document, ensure_ascii=False)


class BookletPdfRenderer:
    """Typesets booklets with one reused typst compiler (safe to share between threads).

    The compiler's root is a private folder (mode 0700, removed with the renderer) holding a copy
    of the template; each booklet's data is written there as ``booklet.json`` just before it is
    typeset and deleted right after, under the renderer's lock.
    """

    def __init__(self, font_directories: Sequence[Path] = FONT_DIRECTORIES) -> None:
        import typst

        template = resources.files("hipcare.render").joinpath("templates", "booklet.typ")
        existing = [str(path) for path in font_directories if path.is_dir()]
        self._folder = Path(tempfile.mkdtemp(prefix="hipcare-booklet-"))
        weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
        main = self._folder / "booklet.typ"
        main.write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
        self._data = self._folder / "booklet.json"
        # With the Noto folders present, system fonts are skipped: the scan is faster and the
        # output does not depend on what else the machine has installed.
        self._compiler = typst.Compiler(
            # A path, not bytes: typst-py 0.15 loses in-memory input after the first compile.
            input=str(main),
            root=str(self._folder),
            font_paths=existing,
            ignore_system_fonts=bool(existing),
        )
        self._lock = threading.Lock()

    def render(self, view: BookletView) -> bytes:
        """The booklet as PDF bytes: PDF/UA-1, tagged, fonts embedded, title and language set.

        The template sets no creation date (``document(date: none)``), so equal views give
        byte-identical PDFs; the print day is printed on the last page instead.
        """
        import typst

        document = view_as_json(view)
        try:
            with self._lock:
                self._data.write_text(document, encoding="utf-8")
                try:
                    pdf = self._compiler.compile(format="pdf", pdf_standards="ua-1")
                finally:
                    self._data.unlink(missing_ok=True)
        except typst.TypstError as error:
            raise BookletRenderError(f"typst could not typeset the booklet: {error}") from error
        if not isinstance(pdf, bytes):  # pragma: no cover -- typst returns pages only for PNG/SVG
            raise TypeError("typst returned no PDF document")
        return pdf


@cache
def default_pdf_renderer() -> BookletPdfRenderer:
    """The process-wide renderer, built on first use (so ``hipcare --help`` stays fast)."""
    return BookletPdfRenderer()
