"""The command line's fast preview path (``hipcare.interop.radiograph.native_reader`` and
``preview.native_preview``) against pydicom's.

Files are written byte by byte here (not through pydicom's writer) so that they can hold what
real files hold and pydicom would tidy away: odd value lengths, implicit VR, undefined-length
sequences, private elements, padding after the pixels, attribute values in odd spellings.
The properties: where the fast path answers, its preview is byte for byte the full path's;
it never answers where the full path refuses the file; and it does answer for the plain
films it is for (else the first property would hold by never answering).
"""

from __future__ import annotations

import io
import random
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from tests.fixtures import radiographs as films

from hipcare.domain.errors import InvalidInputError
from hipcare.interop.radiograph.display import VoiFunction, Window, WindowSource
from hipcare.interop.radiograph.film import Radiograph
from hipcare.interop.radiograph.native_reader import NativeFilm, read_native_film
from hipcare.interop.radiograph.preview import (
    Preview,
    PreviewFormat,
    display_lut,
    encode_image,
    native_preview,
    render_native_preview,
    render_preview,
)
from hipcare.interop.radiograph.reader import read_radiograph

EXPLICIT = "1.2.840.10008.1.2.1"
IMPLICIT = "1.2.840.10008.1.2"
DX_CLASS = "1.2.840.10008.5.1.4.1.1.1.1"
LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
UNDEFINED = 0xFFFFFFFF


# --- a small DICOM writer -------------------------------------------------------------------


def element(tag: int, vr: str, value: bytes, explicit: bool) -> bytes:
    group, number = tag >> 16, tag & 0xFFFF
    if not explicit:
        return struct.pack("<HHL", group, number, len(value)) + value
    if vr in LONG_VRS:
        return struct.pack("<HH2s2xL", group, number, vr.encode(), len(value)) + value
    return struct.pack("<HH2sH", group, number, vr.encode(), len(value)) + value


def item(content: bytes, undefined: bool) -> bytes:
    if undefined:
        return struct.pack("<HHL", 0xFFFE, 0xE000, UNDEFINED) + content + _delimiter(0xE00D)
    return struct.pack("<HHL", 0xFFFE, 0xE000, len(content)) + content


def sequence(tag: int, items: list[bytes], explicit: bool, undefined: bool) -> bytes:
    body = b"".join(items)
    group, number = tag >> 16, tag & 0xFFFF
    if not undefined:
        return element(tag, "SQ", body, explicit)
    if explicit:
        header = struct.pack("<HH2s2xL", group, number, b"SQ", UNDEFINED)
    else:
        header = struct.pack("<HHL", group, number, UNDEFINED)
    return header + body + _delimiter(0xE0DD)


def _delimiter(number: int) -> bytes:
    return struct.pack("<HHL", 0xFFFE, number, 0)


def uid(text: str) -> bytes:
    data = text.encode("ascii")
    return data + b"\x00" if len(data) % 2 else data


def dicom_file(body: list[tuple[int, bytes]], syntax: str) -> bytes:
    """A Part 10 file: preamble, file meta (explicit VR), then ``body`` sorted by tag."""
    meta = b"".join(
        [
            element(0x00020001, "OB", b"\x00\x01", True),
            element(0x00020002, "UI", uid(DX_CLASS), True),
            element(0x00020003, "UI", uid("1.2.826.0.1.3680043.8.498.7"), True),
            element(0x00020010, "UI", uid(syntax), True),
        ]
    )
    group_length = element(0x00020000, "UL", struct.pack("<L", len(meta)), True)
    dataset = b"".join(encoded for _, encoded in sorted(body, key=lambda pair: pair[0]))
    return b"\x00" * 128 + b"DICM" + group_length + meta + dataset


@dataclass
class FilmSpec:
    """What a generated file holds (strings as written, None when left out)."""

    explicit: bool = True
    rows: int = 12
    columns: int = 10
    bits_allocated: int = 16
    bits_stored: int = 12
    high_bits: bool = False
    photometric: str = "MONOCHROME2"
    presentation_lut_shape: str | None = None
    slope: str | None = None
    intercept: str | None = None
    centre: str | None = "2000"
    width: str | None = "4000"
    function: str | None = None
    frames: str | None = None
    voi_lut_sequence: bool = False
    undefined_sequence: bool = False
    private_odd_value: bool = False
    trailing_padding: bool = False
    odd_pixel_data: bool = False
    seed: int = 0
    extra: list[tuple[int, bytes]] = field(default_factory=list)

    def pixel_bytes(self) -> bytes:
        generator = random.Random(self.seed)  # noqa: S311  # test pixels, not secrets
        top = 1 << self.bits_stored
        words = []
        for _ in range(self.rows * self.columns):
            word = generator.randrange(top)
            if self.high_bits and generator.random() < 0.1:
                word |= generator.randrange(1, 1 << (self.bits_allocated - self.bits_stored)) << (
                    self.bits_stored
                )
            words.append(word)
        data = bytes(words) if self.bits_allocated == 8 else struct.pack(f"<{len(words)}H", *words)
        if len(data) % 2 and not self.odd_pixel_data:
            data += b"\x00"
        return data

    def encode(self) -> bytes:
        x = self.explicit
        body: list[tuple[int, bytes]] = [
            (0x00080016, element(0x00080016, "UI", uid(DX_CLASS), x)),
            (0x00080060, element(0x00080060, "CS", b"DX", x)),
            (0x00100020, element(0x00100020, "LO", b"SYN-1 ", x)),
            (0x00280002, element(0x00280002, "US", struct.pack("<H", 1), x)),
            (0x00280004, element(0x00280004, "CS", _text(self.photometric), x)),
            (0x00280010, element(0x00280010, "US", struct.pack("<H", self.rows), x)),
            (0x00280011, element(0x00280011, "US", struct.pack("<H", self.columns), x)),
            (0x00280100, element(0x00280100, "US", struct.pack("<H", self.bits_allocated), x)),
            (0x00280101, element(0x00280101, "US", struct.pack("<H", self.bits_stored), x)),
            (0x00280102, element(0x00280102, "US", struct.pack("<H", self.bits_stored - 1), x)),
            (0x00280103, element(0x00280103, "US", struct.pack("<H", 0), x)),
        ]
        texts = {
            0x00280008: ("IS", self.frames),
            0x00281050: ("DS", self.centre),
            0x00281051: ("DS", self.width),
            0x00281052: ("DS", self.intercept),
            0x00281053: ("DS", self.slope),
            0x00281056: ("CS", self.function),
            0x20500020: ("CS", self.presentation_lut_shape),
        }
        for tag, (vr, text) in texts.items():
            if text is not None:
                body.append((tag, element(tag, vr, _text(text), x)))
        if self.voi_lut_sequence:
            entry = element(0x00283002, "US", struct.pack("<3H", 4, 0, 8), True)
            entry += element(0x00283006, "US", struct.pack("<4H", 0, 80, 160, 255), True)
            body.append(
                (0x00283010, sequence(0x00283010, [item(entry, False)], x, undefined=False))
            )
        if self.undefined_sequence and x:
            code = element(0x00080100, "SH", b"RPID1 ", True)
            code += element(0x00080104, "LO", b"Pelvis AP", True)
            body.append(
                (
                    0x00081032,
                    sequence(0x00081032, [item(code, True), item(code, False)], x, undefined=True),
                )
            )
        if self.private_odd_value:
            body.append((0x00090010, element(0x00090010, "LO", b"SYNTHETIC", x)))
            body.append((0x00091001, element(0x00091001, "OB", b"\x01\x02\x03", x)))
        body.append(
            (
                0x7FE00010,
                element(
                    0x7FE00010, "OW" if self.bits_allocated == 16 else "OB", self.pixel_bytes(), x
                ),
            )
        )
        if self.trailing_padding:
            body.append((0xFFFCFFFC, element(0xFFFCFFFC, "OB", b"\x00" * 6, x)))
        body.extend(self.extra)
        return dicom_file(body, EXPLICIT if x else IMPLICIT)


def _text(text: str) -> bytes:
    return text.encode("latin-1")


def plain_film(spec: FilmSpec, radiograph: Radiograph, window: Window | None) -> bool:
    """True when the fast path is meant to take this film (see its module's scope)."""
    needs_pixel_range = window is None and radiograph.window.source is WindowSource.PIXEL_RANGE
    return (
        (spec.function or "").strip().upper() != "SIGMOID"
        and not (needs_pixel_range and not radiograph.clean_words)
        and spec.photometric.strip() in ("MONOCHROME1", "MONOCHROME2")
    )


# --- generated films ------------------------------------------------------------------------

decimal_text = st.sampled_from(
    ["0", "1", "-1", "0.5", "2.5", " 1.0 ", "+3", "1e1", "-1024", "100.25", ".5", "7."]
)


@st.composite
def film_specs(draw: st.DrawFn) -> FilmSpec:
    bits_allocated = draw(st.sampled_from([8, 16]))
    bits_stored = draw(
        st.sampled_from(sorted({1, 7, 8, 10, 12, 14, 16} & set(range(1, bits_allocated + 1))))
    )
    window_kind = draw(st.sampled_from(["none", "plain", "multi", "empty", "one", "narrow"]))
    centre, width = {
        "none": (None, None),
        "plain": (
            draw(st.integers(-2000, 70000)).__str__(),
            draw(st.integers(2, 70000)).__str__(),
        ),
        "multi": ("1000\\2000", "3000\\100 "),
        "empty": ("", "400"),
        "one": ("40", "1"),
        "narrow": ("40", "0.5"),
    }[window_kind]
    return FilmSpec(
        explicit=draw(st.booleans()),
        rows=draw(st.integers(1, 40)),
        columns=draw(st.integers(1, 40)),
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        high_bits=bits_stored < bits_allocated and draw(st.booleans()),
        photometric=draw(st.sampled_from(["MONOCHROME2", "MONOCHROME1", "MONOCHROME2 "])),
        presentation_lut_shape=draw(st.sampled_from([None, "INVERSE", "IDENTITY", " INVERSE"])),
        slope=draw(st.none() | decimal_text),
        intercept=draw(st.none() | decimal_text),
        centre=centre,
        width=width,
        function=draw(st.sampled_from([None, "LINEAR", "LINEAR_EXACT", "SIGMOID", "FOO", ""])),
        frames=draw(st.sampled_from([None, "1", " 1", "0"])),
        voi_lut_sequence=draw(st.booleans()),
        undefined_sequence=draw(st.booleans()),
        private_odd_value=draw(st.booleans()),
        trailing_padding=draw(st.booleans()),
        odd_pixel_data=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )


sizes = st.sampled_from([None, 16, 17, 23, 31, 1024])
formats = st.sampled_from(list(PreviewFormat))
given_windows = st.none() | st.builds(
    Window,
    st.floats(-5000, 70000, allow_nan=False),
    st.floats(1, 70000, allow_nan=False),
)


def full_path(
    data: bytes,
    max_size: int | None,
    image_format: PreviewFormat = PreviewFormat.JPEG,
    window: Window | None = None,
) -> Preview | InvalidInputError:
    """The full path's preview, or the InvalidInputError it raises."""
    try:
        radiograph = read_radiograph(data)
    except InvalidInputError as error:
        return error
    return render_preview(radiograph, max_size=max_size, image_format=image_format, window=window)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(film_specs(), sizes, formats, given_windows)
def test_the_fast_preview_is_the_full_paths_byte_for_byte(
    spec: FilmSpec, max_size: int | None, image_format: PreviewFormat, window: Window | None
) -> None:
    """Generated films of every shape: same bytes, size, scale, window and cache key."""
    data = spec.encode()
    fast = native_preview(data, max_size=max_size, image_format=image_format, window=window)
    expected = full_path(data, max_size, image_format, window)
    if isinstance(expected, InvalidInputError):
        assert fast is None
        return
    if plain_film(spec, read_radiograph(data), window):
        assert fast is not None, spec
    if fast is not None:
        assert fast == expected


@settings(max_examples=150, deadline=None)
@given(film_specs())
def test_the_fast_reader_reads_what_pydicom_reads(spec: FilmSpec) -> None:
    """Size, bits, photometric interpretation, inversion, rescale and the file's window."""
    data = spec.encode()
    film = read_native_film(data)
    if film is None:
        return
    radiograph = read_radiograph(data)
    assert (film.rows, film.columns) == (radiograph.rows, radiograph.columns)
    assert film.bits_stored == radiograph.bits_stored
    assert film.photometric_interpretation == radiograph.photometric_interpretation
    assert film.inverted == radiograph.inverted
    assert (film.rescale_slope, film.rescale_intercept) == (
        radiograph.rescale_slope,
        radiograph.rescale_intercept,
    )
    assert film.transfer_syntax == radiograph.transfer_syntax
    if film.window is None:
        assert radiograph.window.source is WindowSource.PIXEL_RANGE
    else:
        assert film.window == radiograph.window


@settings(max_examples=150, deadline=None)
@given(
    film_specs(),
    st.floats(-70000, 70000, allow_nan=False),
    st.floats(0.001, 140000, allow_nan=False),
    st.sampled_from([VoiFunction.LINEAR, VoiFunction.LINEAR_EXACT]),
)
def test_the_display_table_is_numpys_for_every_word(
    spec: FilmSpec, centre: float, width: float, function: VoiFunction
) -> None:
    """Every one of the 256 or 65,536 entries, any window, slope and inversion."""
    if function is VoiFunction.LINEAR:
        width = max(width, 1.0)
    window = Window(centre, width, WindowSource.GIVEN, function)
    spec.centre, spec.width, spec.high_bits = "1", "2", False
    data = spec.encode()
    film = read_native_film(data)
    if film is None:
        return
    preview = render_native_preview(
        film, max_size=None, image_format=PreviewFormat.PNG, window=window, cache_key="-"
    )
    expected = render_preview(
        read_radiograph(data),
        max_size=None,
        image_format=PreviewFormat.PNG,
        window=window,
        cache_key="-",
    )
    assert preview == expected
    from hipcare.interop.radiograph.preview import _display_table

    assert _display_table(film, window) == display_lut(read_radiograph(data), window).tobytes()


@settings(max_examples=120, deadline=None)
@given(film_specs(), st.data())
def test_a_file_cut_short_anywhere_is_never_read_where_pydicom_refuses_it(
    spec: FilmSpec, data: st.DataObject
) -> None:
    """An interrupted copy: the fast path steps aside, or agrees with the full path."""
    whole = spec.encode()
    cut = data.draw(st.integers(0, len(whole) - 1))
    part = whole[:cut]
    fast = native_preview(part, max_size=16)
    expected = full_path(part, max_size=16)
    if isinstance(expected, InvalidInputError):
        assert fast is None
    elif fast is not None:
        assert fast == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a film at all\n" * 20,
        films.not_an_image_bytes(),
        films.png_photo_bytes(),
        films.jpeg_photo_bytes(),
        films.rle_dicom_bytes(),
        films.jpeg2000_dicom_bytes(),
        films.truncated_dicom_bytes(),
        b"\x00" * 128 + b"DICM",
    ],
    ids=["empty", "text", "letter", "png", "jpeg", "rle", "jpeg2000", "truncated", "bare"],
)
def test_other_files_and_damaged_ones_are_left_to_the_full_path(data: bytes) -> None:
    assert native_preview(data, max_size=1024) is None


def test_out_of_scope_attributes_are_left_to_the_full_path() -> None:
    """Signed words, colour, several frames, a SIGMOID window, a deflated or big-endian
    file, an unparseable number, elements out of order."""
    plain = FilmSpec()
    assert read_native_film(plain.encode()) is not None
    signed = FilmSpec(extra=[])
    signed_data = signed.encode().replace(
        element(0x00280103, "US", struct.pack("<H", 0), True),
        element(0x00280103, "US", struct.pack("<H", 1), True),
    )
    assert read_native_film(signed_data) is None
    assert read_native_film(FilmSpec(photometric="RGB").encode()) is None
    assert read_native_film(FilmSpec(frames="2").encode()) is None
    assert read_native_film(FilmSpec(function="SIGMOID").encode()) is None
    assert read_native_film(FilmSpec(centre="abc").encode()) is None
    assert read_native_film(FilmSpec(photometric="monochrome2").encode()) is None
    for syntax in ("1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.4.50"):
        assert read_native_film(plain.encode().replace(uid(EXPLICIT), uid(syntax))) is None
    out_of_order = dicom_file(
        [
            (
                0,
                element(0x00280010, "US", b"\x01\x00", True)
                + element(0x00280004, "CS", b"MONOCHROME2 ", True),
            )
        ],
        EXPLICIT,
    )
    assert read_native_film(out_of_order) is None


def test_the_synthetic_film_takes_the_fast_path_at_every_size() -> None:
    """The benchmark's 2500 x 3000 film (and MONOCHROME1), JPEG and PNG, fitted and full."""
    for data in (films.dicom_bytes(), films.dicom_bytes(photometric="MONOCHROME1")):
        radiograph = read_radiograph(data)
        for max_size in (1024, 700, None):
            for image_format in PreviewFormat:
                fast = native_preview(data, max_size=max_size, image_format=image_format)
                assert fast is not None
                assert fast == render_preview(
                    radiograph, max_size=max_size, image_format=image_format
                )


@pytest.mark.parametrize(("rows", "columns"), [(211, 5000), (1001, 2999), (64, 3)])
def test_block_means_band_by_band_equal_numpys(rows: int, columns: int) -> None:
    """Films wider than a band, with a last band cut short, and odd edges dropped."""
    data = films._encode(films.dicom_dataset(films.pelvis_pixels(rows, columns)))
    for max_size in (16, 100, 999):
        fast = native_preview(data, max_size=max_size)
        assert fast is not None
        assert fast == render_preview(read_radiograph(data), max_size=max_size)


@pytest.mark.parametrize("quality", [1, 50, 85, 95])
def test_the_fast_jpeg_encoding_is_pillows_save(quality: int) -> None:
    """Pillow's JPEG encoder run on the C image with JpegImagePlugin's arguments: the same
    bytes as ``Image.save``."""
    from hipcare.interop.radiograph.preview import _encoded

    for size in ((1, 1), (17, 9), (853, 1024)):
        image = Image.effect_noise(size, 40 + quality % 30)
        assert _encoded(image.im, PreviewFormat.JPEG, quality) == encode_image(
            image, PreviewFormat.JPEG, quality
        )


def test_the_preview_command_imports_neither_numpy_nor_pydicom(tmp_path: Path) -> None:
    """Nor the pydicom reader's module, the web, storage or booklet stacks, nor the standard
    library modules it does without to start faster (ADR 0009): a fresh interpreter, as the
    console script runs."""
    source = tmp_path / "film.dcm"
    source.write_bytes(films.dicom_bytes(rows=300, columns=250))
    probe = (
        "import sys\n"
        "from hipcare.cli import main\n"
        f"status = main(['radiograph', 'preview', {str(source)!r}, '--output', "
        f"{str(tmp_path / 'out.jpg')!r}])\n"
        "heavy = [name for name in ('numpy', 'pydicom', 'requests', 'fastapi', 'sqlalchemy', "
        "'jinja2', 'typst', 'hipcare.domain.radiograph', 'hipcare.interop.radiograph.reader', "
        "'PIL.Image', 'PIL.PngImagePlugin', 'PIL.ImageFile', 'dataclasses', 'json', 'pathlib', "
        "'threading', 'typing') "
        "if name in sys.modules]\n"
        "print(status, heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "0 []"


def test_a_native_film_keeps_its_bytes_out_of_its_repr() -> None:
    film = read_native_film(FilmSpec().encode())
    assert isinstance(film, NativeFilm)
    assert "source=b" not in repr(film)
    assert repr(film).endswith(f"pixel_offset={film.pixel_offset})")
    assert isinstance(read_radiograph(FilmSpec().encode()), Radiograph)


def test_a_mapped_file_gives_the_same_preview(tmp_path: Path) -> None:
    """The command maps the file into memory; nothing is copied, nothing changes."""
    import mmap

    path = tmp_path / "film.dcm"
    data = films.dicom_bytes(rows=300, columns=250)
    path.write_bytes(data)
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        fast = native_preview(mapped, max_size=100)
        assert fast is not None
        assert fast == native_preview(data, max_size=100)
    assert io.BytesIO(fast.data).read(3) == b"\xff\xd8\xff"


def test_a_window_behaves_as_a_frozen_value() -> None:
    """Equal by value, hashable, unchangeable, copied and pickled whole, shown field by field
    (what the dataclass it was gave; ``display.FrozenValue``)."""
    import copy
    import pickle

    window = Window(7000, 10000, WindowSource.FILE, VoiFunction.LINEAR_EXACT)
    assert window == Window(7000.0, 10000.0, WindowSource.FILE, VoiFunction.LINEAR_EXACT)
    assert window != Window(7000, 10000, WindowSource.GIVEN, VoiFunction.LINEAR_EXACT)
    assert window != (7000.0, 10000.0, WindowSource.FILE, VoiFunction.LINEAR_EXACT)
    assert len({window, Window(7000, 10000, WindowSource.FILE, VoiFunction.LINEAR_EXACT)}) == 1
    assert pickle.loads(pickle.dumps(window)) == window  # noqa: S301 -- our own bytes
    assert copy.deepcopy(window) == window
    assert repr(window) == (
        "Window(centre=7000.0, width=10000.0, source=<WindowSource.FILE: 'file'>, "
        "function=<VoiFunction.LINEAR_EXACT: 'LINEAR_EXACT'>)"
    )
    with pytest.raises(AttributeError, match="centre"):
        window.centre = 1.0
    with pytest.raises(AttributeError, match="width"):
        del window.width
    with pytest.raises(InvalidInputError, match=r"window\.width"):
        Window(0, 0.5)


def test_a_preview_is_equal_by_value() -> None:
    preview = native_preview(FilmSpec().encode(), max_size=None)
    assert isinstance(preview, Preview)
    again = native_preview(FilmSpec().encode(), max_size=None)
    assert again is not preview
    assert again == preview
    assert hash(again) == hash(preview)
    assert repr(preview).startswith("Preview(data=b")
