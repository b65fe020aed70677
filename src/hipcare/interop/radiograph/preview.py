"""Browser-ready images of a radiograph: windowed, 8-bit, sized for the screen, encoded.

``render_preview(radiograph, max_size=1024)`` returns a :class:`Preview` (JPEG or PNG bytes,
its size, the scale from film pixels to preview pixels, the window used and a
content-addressed cache key). ``PreviewCache`` is a small thread-safe in-process LRU keyed by
that key, for the web layer. ``native_preview(data, max_size=1024)`` gives the same bytes for
a plain uncompressed grey DICOM film without numpy or pydicom (the command line's fast path:
the file read by :mod:`hipcare.interop.radiograph.native_reader`, the loops over the pixels
compiled in :mod:`hipcare_pixels`, ADR 0011); None for any other file.

How it is fast (figures in ``docs/benchmarks.md``; choices in ADR 0009):

- Windowing is one lookup table built per (film, window): 65,536 entries for 16-bit words,
  256 for 8-bit, mapping each stored word through Bits Stored masking, sign, rescale, the
  VOI window and MONOCHROME1 inversion to an 8-bit grey. Indexing the table costs one memory
  read per pixel, against several float operations per pixel for the formula.
- When the preview is at most half the film's size, the stored values are first averaged in
  k x k blocks (k the whole part of the reduction), then windowed, then resized to the exact
  size with Pillow's antialiased bilinear filter. Averaging before windowing matches
  windowing before averaging except where the window clips, measured equal in quality (mean
  absolute difference from a float Lanczos reference 0.50 grey levels both ways) and faster,
  as the table is indexed for a quarter of the pixels. Plain striding (taking every k-th pixel)
  was faster again but twice as far from the reference, with aliasing on edges: not used.

The window functions are DICOM PS3.3 C.11.2.1.2.1 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT) and
C.11.2.1.3.1 (SIGMOID), output range 0-255.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from enum import StrEnum

from hipcare.domain.errors import InvalidInputError
from hipcare.interop.radiograph.display import FrozenValue, VoiFunction, Window, range_window
from hipcare.interop.radiograph.native_reader import read_native_film

# typing itself is not imported at run time: it costs the radiograph preview command
# 3 ms (ADR 0011). Type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:  # numpy and Pillow are imported when an image is made, not at start-up
    from typing import Any

    import numpy as np
    import numpy.typing as npt
    from PIL import Image
    from PIL._imaging import ImagingCore as CoreImage

    from hipcare.interop.radiograph.film import Radiograph
    from hipcare.interop.radiograph.native_reader import FileBytes, NativeFilm

__all__ = [
    "DEFAULT_MAX_SIZE_PX",
    "JPEG_QUALITY",
    "Preview",
    "PreviewCache",
    "PreviewFormat",
    "display_image",
    "display_lut",
    "encode_image",
    "fitted_size",
    "native_preview",
    "preview_cache_key",
    "render_native_preview",
    "render_preview",
]

DEFAULT_MAX_SIZE_PX = 1024
"""Longest side of a preview unless asked otherwise: a laptop screen's height."""

JPEG_QUALITY = 85
_PNG_COMPRESS_LEVEL = 3  # zlib level: 6 (Pillow's default) costs 3x the time for ~5 % less
_CACHE_KEY_VERSION = "preview-1"  # change when the pixels a key stands for would change
_MAX_BLOCK = 256  # the largest block hipcare_pixels averages (its 32-bit sums)
_BILINEAR = 2  # PIL.Image.Resampling.BILINEAR, without importing PIL.Image


class PreviewFormat(StrEnum):
    """Encoding of a preview."""

    JPEG = "jpeg"
    PNG = "png"

    @property
    def media_type(self) -> str:
        return f"image/{self.value}"


class Preview(FrozenValue):
    """One encoded preview. ``scale`` is preview pixels per film pixel (film x = preview x /
    scale), the same along both axes up to rounding of the size."""

    _fields = ("data", "image_format", "width", "height", "scale", "window", "cache_key")
    __slots__ = _fields
    data: bytes
    image_format: PreviewFormat
    width: int
    height: int
    scale: float
    window: Window
    cache_key: str

    def __init__(
        self,
        data: bytes,
        image_format: PreviewFormat,
        width: int,
        height: int,
        scale: float,
        window: Window,
        cache_key: str,
    ) -> None:
        for name, value in zip(
            self._fields,
            (data, image_format, width, height, scale, window, cache_key),
            strict=True,
        ):
            object.__setattr__(self, name, value)

    @property
    def media_type(self) -> str:
        return self.image_format.media_type


def display_lut(radiograph: Radiograph, window: Window | None = None) -> npt.NDArray[np.uint8]:
    """The lookup table from stored word to displayed 8-bit grey for ``window``.

    ``window`` None means the radiograph's own (from the file, else its pixel range).
    """
    import numpy as np

    window = window or radiograph.window
    values = radiograph.word_values()
    centre, width = window.centre, window.width
    if window.function is VoiFunction.LINEAR:
        fraction = (values - (centre - 0.5)) / (width - 1.0) + 0.5 if width > 1 else None
        if fraction is None:  # width 1: a threshold (C.11.2.1.2.1 with w = 1)
            fraction = (values > centre - 0.5).astype(np.float64)
    elif window.function is VoiFunction.LINEAR_EXACT:
        fraction = (values - centre) / width + 0.5
    else:
        # Far below the centre exp overflows to infinity and the fraction is 0, as it should
        # be: not worth a warning on the terminal.
        with np.errstate(over="ignore"):
            fraction = 1.0 / (1.0 + np.exp(-4.0 * (values - centre) / width))
    grey = np.rint(np.clip(fraction, 0.0, 1.0) * 255.0).astype(np.uint8)
    if radiograph.inverted:
        grey = 255 - grey
    return grey


def fitted_size(rows: int, columns: int, max_size: int | None) -> tuple[int, int]:
    """(width, height) that fits within ``max_size`` on the longest side, keeping the aspect.

    Never enlarges; ``max_size`` None keeps the film's size.
    """
    if max_size is not None and (
        isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 16
    ):
        raise InvalidInputError(
            "max_size", f"must be a whole number of pixels, 16 or more, got {max_size!r}"
        )
    if max_size is None or max(rows, columns) <= max_size:
        return columns, rows
    factor = max_size / max(rows, columns)
    return max(1, round(columns * factor)), max(1, round(rows * factor))


def _block_mean(words: npt.NDArray[Any], factor: int, bits_stored: int) -> npt.NDArray[Any]:
    """Rounded mean of ``factor x factor`` blocks of clean unsigned words (values below
    ``2**bits_stored``); edge rows and columns that do not fill a block are dropped."""
    import numpy as np

    rows, columns = (words.shape[0] // factor) * factor, (words.shape[1] // factor) * factor
    area = factor * factor
    # 16-bit sums when they cannot overflow (a 14-bit film in 2 x 2 blocks): half the memory
    # traffic of 32-bit sums.
    narrow = area * ((1 << bits_stored) - 1) + area // 2 <= 0xFFFF
    wide = np.uint16 if narrow else np.uint32
    # Whole rows first (contiguous memory), then every factor-th column of the sums.
    by_rows = words[0:rows:factor, :columns].astype(wide)
    for row in range(1, factor):
        np.add(by_rows, words[row:rows:factor, :columns], out=by_rows)
    total = by_rows[:, 0::factor].copy()
    for column in range(1, factor):
        np.add(total, by_rows[:, column::factor], out=total)
    np.add(total, area // 2, out=total, casting="unsafe")
    np.floor_divide(total, area, out=total, casting="unsafe")
    result: npt.NDArray[Any] = total.astype(words.dtype)
    return result


def _words_average_safely(radiograph: Radiograph) -> bool:
    # Averaging words is averaging values only when words are plain unsigned numbers: not
    # signed, and no bits above Bits Stored set (some old files keep overlays there).
    if radiograph.signed:
        return False
    if (
        not radiograph.words_are_raw
        or radiograph.bits_stored >= 8 * radiograph.words.dtype.itemsize
    ):
        return True
    return radiograph.clean_words


def display_image(
    radiograph: Radiograph, window: Window | None = None, max_size: int | None = None
) -> Image.Image:
    """The film windowed to 8-bit grey (Pillow mode "L"), fitted within ``max_size``."""
    import numpy as np
    from PIL import Image

    lut = display_lut(radiograph, window)
    width, height = fitted_size(radiograph.rows, radiograph.columns, max_size)
    words = radiograph.words
    factor = min(radiograph.rows // height, radiograph.columns // width)
    if radiograph.overlay is not None:
        # Overlay planes replace the windowed grey with white (dcmtk's "Replace" mode at
        # full foreground density), at the film's own size, before any fitting.
        greys = np.take(lut, words)
        greys[radiograph.overlay] = 255
        image = Image.fromarray(greys, mode="L")
        if factor >= 2:
            image = image.reduce(factor)
    elif factor >= 2 and _words_average_safely(radiograph):
        image = Image.fromarray(
            np.take(lut, _block_mean(words, factor, radiograph.bits_stored)), mode="L"
        )
    else:
        image = Image.fromarray(np.take(lut, words), mode="L")
        if factor >= 2:
            image = image.reduce(factor)
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    return image


def preview_cache_key(
    sha256: str,
    window: Window | None,
    max_size: int | None,
    image_format: PreviewFormat,
    quality: int = JPEG_QUALITY,
) -> str:
    """Content address of a preview: SHA-256 over the film's SHA-256 and every setting.

    The web layer can compute it from a stored film's hash without reading the film.
    """
    window_token = "file" if window is None else window.cache_token
    quality_token = str(quality) if image_format is PreviewFormat.JPEG else "-"
    text = f"{_CACHE_KEY_VERSION}|{sha256}|{window_token}|{max_size}|{image_format}|{quality_token}"
    import hashlib  # here: loading OpenSSL costs a short command 2 ms at start-up

    return hashlib.sha256(text.encode("ascii")).hexdigest()


def encode_image(image: Image.Image, image_format: PreviewFormat, quality: int) -> bytes:
    """A preview's bytes: JPEG at ``quality``, or PNG (zlib level 3)."""
    buffer = io.BytesIO()
    if image_format is PreviewFormat.JPEG:
        image.save(buffer, format="JPEG", quality=quality)
    else:
        image.save(buffer, format="PNG", compress_level=_PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def render_preview(
    radiograph: Radiograph,
    *,
    max_size: int | None = DEFAULT_MAX_SIZE_PX,
    image_format: PreviewFormat = PreviewFormat.JPEG,
    window: Window | None = None,
    quality: int = JPEG_QUALITY,
    cache_key: str | None = None,
) -> Preview:
    """Window, fit and encode the film; ``window`` None uses the film's own window."""
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 95:
        raise InvalidInputError("quality", f"must be a whole number 1-95, got {quality!r}")
    image = display_image(radiograph, window, max_size)
    key = cache_key or preview_cache_key(radiograph.sha256, window, max_size, image_format, quality)
    return Preview(
        data=encode_image(image, image_format, quality),
        image_format=image_format,
        width=image.width,
        height=image.height,
        scale=image.width / radiograph.columns,
        window=window or radiograph.window,
        cache_key=key,
    )


class PreviewCache:
    """A thread-safe least-recently-used cache of previews, bounded in total bytes."""

    def __init__(self, max_bytes: int = 128 * 1024 * 1024) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise InvalidInputError("max_bytes", f"must be a whole number >= 0, got {max_bytes!r}")
        self.max_bytes = max_bytes
        import threading  # here: the command line's preview does not need it (2 ms)

        self._entries: OrderedDict[str, Preview] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: str) -> Preview | None:
        with self._lock:
            preview = self._entries.get(key)
            if preview is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return preview

    def put(self, preview: Preview) -> None:
        size = len(preview.data)
        with self._lock:
            old = self._entries.pop(preview.cache_key, None)
            if old is not None:
                self._bytes -= len(old.data)
            if size > self.max_bytes:
                return
            self._entries[preview.cache_key] = preview
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.data)

    def get_or_render(
        self,
        radiograph: Radiograph,
        *,
        max_size: int | None = DEFAULT_MAX_SIZE_PX,
        image_format: PreviewFormat = PreviewFormat.JPEG,
        window: Window | None = None,
        quality: int = JPEG_QUALITY,
    ) -> Preview:
        """The cached preview for these settings, rendering (and keeping) it when absent."""
        key = preview_cache_key(radiograph.sha256, window, max_size, image_format, quality)
        cached = self.get(key)
        if cached is not None:
            return cached
        preview = render_preview(
            radiograph,
            max_size=max_size,
            image_format=image_format,
            window=window,
            quality=quality,
            cache_key=key,
        )
        self.put(preview)
        return preview


# --- the command line's fast path: a plain DICOM film without numpy or pydicom ----------------


def native_preview(
    data: FileBytes,
    *,
    max_size: int | None,
    image_format: PreviewFormat = PreviewFormat.JPEG,
    window: Window | None = None,
    quality: int = JPEG_QUALITY,
    cache_key: str | None = None,
) -> Preview | None:
    """The preview :func:`render_preview` would make of this file, made without numpy or
    pydicom; None when the file is outside the scope of
    :func:`~hipcare.interop.radiograph.native_reader.read_native_film`.

    ``data`` may be the file mapped into memory (:class:`mmap.mmap`): nothing is copied.
    Also None where the compiled loops (:mod:`hipcare_pixels`) are not installed, as after a
    plain ``pip install`` (ADR 0014): the numpy path then gives the same bytes.
    """
    try:
        import hipcare_pixels  # noqa: F401 -- only asks whether the compiled loops are there
    except ImportError:
        return None
    film = read_native_film(data)
    if film is None:
        return None
    return render_native_preview(
        film,
        max_size=max_size,
        image_format=image_format,
        window=window,
        quality=quality,
        cache_key=cache_key,
    )


def render_native_preview(
    film: NativeFilm,
    *,
    max_size: int | None,
    image_format: PreviewFormat = PreviewFormat.JPEG,
    window: Window | None = None,
    quality: int = JPEG_QUALITY,
    cache_key: str | None = None,
) -> Preview | None:
    """Window, fit and encode the film as :func:`render_preview` does, step for step: block
    means of the stored words when the preview is at most half the film's size, then the
    65,536-entry table, then Pillow's bilinear fit and encoder.

    The loop over every word (block means looked up in the table, and the words' range, in
    one pass) and the bilinear fit of the block means are compiled
    (:mod:`hipcare_pixels`, ADR 0011: the fit computes Pillow's bytes); the JPEG encoder,
    and the steps of the rare films not made of block means, are Pillow's C core
    (``PIL._imaging``) called as ``Image.resize`` and ``Image.save`` call it, because
    importing ``PIL.Image`` costs the command a fifth of its budget (its EXIF and TIFF tag
    tables). Tests check the bytes against the numpy path's.

    None when the file has no usable window and words with bits above Bits Stored (its
    pixel range needs every word looked at: left to the numpy path).
    """
    from hipcare_pixels import extrema as word_extrema
    from hipcare_pixels import fit_greys, window_block_means
    from PIL import _imaging

    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 95:
        return None  # render_preview refuses it, in words
    width, height = fitted_size(film.rows, film.columns, max_size)
    factor = min(film.rows // height, film.columns // width)
    word_bytes = film.bits_allocated // 8
    shown = window or film.window
    if shown is None:
        # The window is the range of the values: the words' range first (a pass of its own).
        extrema = word_extrema(film.source, film.pixel_offset, film.rows, film.columns, word_bytes)
        if extrema[1] >> film.bits_stored:
            return None
        ends = [word * film.rescale_slope + film.rescale_intercept for word in extrema]
        shown = range_window(min(ends), max(ends))
    table = _display_table(film, shown)
    image: CoreImage | None = None
    if 2 <= factor <= _MAX_BLOCK:
        greys, _, largest = window_block_means(
            film.source,
            film.pixel_offset,
            film.rows,
            film.columns,
            word_bytes,
            factor,
            table,
        )
        # Means of words with bits above Bits Stored are not means of values: then every
        # word is looked up first (as the numpy path does), and the means are thrown away.
        if largest >> film.bits_stored == 0:
            reduced = (film.columns // factor, film.rows // factor)
            if reduced != (width, height):
                greys = fit_greys(greys, *reduced, width, height)
            image = _imaging.map_buffer(greys, (width, height), "raw", 0, ("L", 0, 1))
    if image is None:
        image = _every_word_greys(film, table)
        if factor >= 2:
            image = image.reduce((factor, factor), (0, 0, film.columns, film.rows))
        if image.size != (width, height):
            # Image.resize(size, Image.Resampling.BILINEAR) of a mode "L" image.
            image = image.resize((width, height), _BILINEAR, (0, 0, *image.size))
    key = cache_key or preview_cache_key(
        _sha256(film.source), window, max_size, image_format, quality
    )
    return Preview(
        data=_encoded(image, image_format, quality),
        image_format=image_format,
        width=image.size[0],
        height=image.size[1],
        scale=image.size[0] / film.columns,
        window=shown,
        cache_key=key,
    )


def _every_word_greys(film: NativeFilm, table: bytes) -> CoreImage:
    """Every word looked up in the table (Pillow's C ``point``), for a preview not made of
    block means: near full size, or words with bits above Bits Stored."""
    from PIL import _imaging

    mode = "L" if film.bits_allocated == 8 else "I;16"
    size = film.rows * film.columns * (film.bits_allocated // 8)
    pixels = memoryview(film.source)[film.pixel_offset : film.pixel_offset + size]
    # Pillow maps the words where they are, without a copy (Image.frombuffer's C call).
    words = _imaging.map_buffer(pixels, (film.columns, film.rows), "raw", 0, (mode, 0, 1))
    greys: CoreImage = (
        words.point(list(table), None)
        if mode == "L"
        # Image.point on a mode "I" image, without its Python pass rounding 65,536 entries.
        else words.convert("I").point(list(table), "L")
    )
    return greys


def _encoded(image: CoreImage, image_format: PreviewFormat, quality: int) -> bytes:
    """:func:`encode_image`'s bytes; a grey JPEG straight from
    Pillow's JPEG encoder.

    ``Image.save`` first imports five format plugins (BMP, GIF, JPEG, PPM, PNG: 12 ms, a
    fifth of the command's budget), and ``Image.tobytes`` imports ``PIL.ImageFile`` (with
    ``logging``: 4 ms) only to read its buffer size. This runs the encoder as ``tobytes``
    does, with the arguments ``PIL.JpegImagePlugin._save`` gives it for a mode "L" image and
    no options but the quality (Pillow 13: raw mode, quality, progressive, smooth, optimize,
    keep_rgb, stream type, dpi, subsampling, restart marker blocks and rows, quantization
    tables, comment, extra markers, EXIF). That order is Pillow's own, so a test checks the
    bytes against ``Image.save`` for several pictures and qualities. Other formats go
    through ``encode_image`` (and so ``PIL.Image``).
    """
    if image_format is not PreviewFormat.JPEG or image.mode != "L":
        from PIL import Image

        return encode_image(Image.new("L", (0, 0))._new(image), image_format, quality)
    from PIL import _imaging

    encoder = _imaging.jpeg_encoder(
        "L", "L", quality, False, 0, False, False, 0, [0, 0], -1, 0, 0, None, None, b"", b""
    )
    try:
        encoder.setimage(image, (0, 0, *image.size))
        chunks = []
        while True:
            # The buffer size ``tobytes`` uses (ImageFile.MAXBLOCK, or 4 bytes a pixel of a row).
            _, status, chunk = encoder.encode(max(65536, image.size[0] * 4))
            chunks.append(chunk)
            if status:
                break
    finally:
        encoder.cleanup()
    if status < 0:
        raise RuntimeError(f"JPEG encoder error {status}")
    return b"".join(chunks)


def _sha256(data: FileBytes) -> str:
    import hashlib  # here: loading OpenSSL costs a short command 2 ms at start-up

    return hashlib.sha256(data).hexdigest()


def _display_table(film: NativeFilm, window: Window) -> bytes:
    """:func:`display_lut` without numpy: the same float64 arithmetic,
    word by word, so the same grey for every word (compiled: :func:`hipcare_pixels.display_table`;
    a SIGMOID window never gets here). Words above Bits Stored repeat the table (masked)."""
    from hipcare_pixels import display_table

    return display_table(
        film.bits_stored,
        film.bits_allocated,
        film.rescale_slope,
        film.rescale_intercept,
        window.centre,
        window.width,
        window.function is VoiFunction.LINEAR_EXACT,
        film.inverted,
    )
