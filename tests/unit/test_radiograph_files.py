"""Reading radiograph files: DICOM attributes, pixels, compression, refusals, identifiers."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import RLELossless
from tests.fixtures import radiographs as films

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import name_search_key
from hipcare.interop.radiograph.display import VoiFunction, Window, WindowSource
from hipcare.interop.radiograph.film import (
    FilmIdentifiers,
    ImageFormat,
    SpacingSource,
    describe_radiograph,
)
from hipcare.interop.radiograph.identifiers import (
    ChildIdentity,
    _name_tokens,
    check_identifiers,
    child_identity_from_json,
)
from hipcare.interop.radiograph.preview import display_image
from hipcare.interop.radiograph.reader import read_radiograph

SMALL_ROWS, SMALL_COLUMNS = films.SMALL
# A pixel inside the right femoral head and one in soft tissue between the hips (small film).
HEAD = (round(1060 * SMALL_ROWS / films.ROWS), round(703 * SMALL_COLUMNS / films.COLUMNS))
TISSUE = (round(2000 * SMALL_ROWS / films.ROWS), round(1250 * SMALL_COLUMNS / films.COLUMNS))


def _encoded(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _small_dataset(**options: Any) -> Dataset:
    return films.dicom_dataset(films.pelvis_pixels(*films.SMALL), **options)


def test_reads_size_spacing_window_and_identifiers_of_an_uncompressed_dicom() -> None:
    radiograph = read_radiograph(films.dicom_bytes())
    assert (radiograph.rows, radiograph.columns) == (films.ROWS, films.COLUMNS)
    assert radiograph.image_format is ImageFormat.DICOM
    assert radiograph.pixel_spacing is not None
    assert (radiograph.pixel_spacing.row_mm, radiograph.pixel_spacing.column_mm) == (0.15, 0.15)
    assert radiograph.pixel_spacing.source is SpacingSource.PIXEL_SPACING
    assert radiograph.window == Window(
        films.WINDOW_CENTRE, films.WINDOW_WIDTH, WindowSource.FILE, VoiFunction.LINEAR
    )
    assert radiograph.identifiers == FilmIdentifiers(**films.FILM_IDENTIFIERS)
    assert np.array_equal(radiograph.stored_values(), films.pelvis_pixels())


def test_uncompressed_pixels_are_not_copied() -> None:
    """The 15 MB of pixel data is looked at in place, which keeps reading fast."""
    radiograph = read_radiograph(films.dicom_bytes())
    assert not radiograph.words.flags.owndata
    assert not radiograph.words.flags.writeable


def test_imager_pixel_spacing_is_read_with_a_note_that_it_is_at_the_detector() -> None:
    radiograph = read_radiograph(
        films.dicom_bytes(spacing="ImagerPixelSpacing", rows=SMALL_ROWS, columns=SMALL_COLUMNS)
    )
    assert radiograph.pixel_spacing is not None
    assert radiograph.pixel_spacing.source is SpacingSource.IMAGER_PIXEL_SPACING
    assert any("at the detector" in note for note in radiograph.notes)


def test_no_pixel_spacing_is_said_when_the_file_has_none() -> None:
    radiograph = read_radiograph(
        films.dicom_bytes(spacing="none", rows=SMALL_ROWS, columns=SMALL_COLUMNS)
    )
    assert radiograph.pixel_spacing is None
    assert any("no pixel spacing" in note for note in radiograph.notes)


def test_monochrome1_stores_bone_dark_but_shows_it_bright() -> None:
    """In a MONOCHROME1 file bone has LOW values; shown inverted, bone is white as usual."""
    monochrome1 = read_radiograph(
        films.dicom_bytes("MONOCHROME1", rows=SMALL_ROWS, columns=SMALL_COLUMNS)
    )
    monochrome2 = read_radiograph(films.dicom_bytes(rows=SMALL_ROWS, columns=SMALL_COLUMNS))
    stored1, stored2 = monochrome1.stored_values(), monochrome2.stored_values()
    assert stored1[HEAD] < stored1[TISSUE]
    assert stored2[HEAD] > stored2[TISSUE]
    assert monochrome1.inverted
    assert not monochrome2.inverted
    shown1 = np.asarray(display_image(monochrome1), dtype=np.int16)
    shown2 = np.asarray(display_image(monochrome2), dtype=np.int16)
    assert shown1[HEAD] > shown1[TISSUE]
    assert int(np.abs(shown1 - shown2).max()) <= 1


def test_presentation_lut_shape_inverse_inverts_a_monochrome2_film() -> None:
    ds = _small_dataset()
    ds.PresentationLUTShape = "INVERSE"
    radiograph = read_radiograph(_encoded(ds))
    shown = np.asarray(display_image(radiograph))
    assert radiograph.inverted
    assert shown[HEAD] < shown[TISSUE]


def test_rescale_slope_and_intercept_apply_before_the_window() -> None:
    """A film rescaled by 2x - 1000, windowed in rescaled units, looks as the plain one."""
    plain = read_radiograph(films.dicom_bytes(rows=SMALL_ROWS, columns=SMALL_COLUMNS))
    ds = _small_dataset(
        rescale=(2.0, -1000.0),
        window=(2 * films.WINDOW_CENTRE - 1000, 2 * films.WINDOW_WIDTH),
    )
    rescaled = read_radiograph(_encoded(ds))
    assert (rescaled.rescale_slope, rescaled.rescale_intercept) == (2.0, -1000.0)
    assert rescaled.word_values()[7000] == 13000.0
    difference = np.abs(
        np.asarray(display_image(rescaled), dtype=np.int16)
        - np.asarray(display_image(plain), dtype=np.int16)
    )
    assert int(difference.max()) <= 1


def test_first_window_is_used_when_the_file_gives_several() -> None:
    ds = _small_dataset(window=([4000, 7000], [2000, 10000]))
    radiograph = read_radiograph(_encoded(ds))
    assert (radiograph.window.centre, radiograph.window.width) == (4000.0, 2000.0)


def test_pixel_range_is_the_window_when_the_file_has_none() -> None:
    ds = _small_dataset(window=None)
    radiograph = read_radiograph(_encoded(ds))
    values = films.pelvis_pixels(*films.SMALL)
    low, high = int(values.min()), int(values.max())
    assert radiograph.window.source is WindowSource.PIXEL_RANGE
    assert radiograph.window.width == high - low + 1
    assert radiograph.window.centre == (low + high + 1) / 2
    assert any("range of the pixel values" in note for note in radiograph.notes)
    shown = np.asarray(display_image(radiograph))
    assert (int(shown.min()), int(shown.max())) == (0, 255)


def test_a_width_below_one_in_the_file_falls_back_to_the_pixel_range() -> None:
    ds = _small_dataset(window=(7000, 0))
    radiograph = read_radiograph(_encoded(ds))
    assert radiograph.window.source is WindowSource.PIXEL_RANGE
    assert any("not usable" in note for note in radiograph.notes)


def test_bits_above_bits_stored_are_ignored() -> None:
    """Old files may keep overlay bits above Bits Stored; they must not change the picture."""
    clean = films.pelvis_pixels(*films.SMALL)
    dirty = clean | np.uint16(0x8000)
    radiograph = read_radiograph(_encoded(films.dicom_dataset(dirty)))
    assert np.array_equal(radiograph.stored_values(), clean)
    reference = read_radiograph(_encoded(films.dicom_dataset(clean)))
    assert np.array_equal(
        np.asarray(display_image(radiograph, max_size=None)),
        np.asarray(display_image(reference, max_size=None)),
    )
    # Reduced, the dirty words take the window-then-average path: equal within rounding.
    reduced = np.asarray(display_image(radiograph, max_size=200), dtype=np.int16)
    reduced_reference = np.asarray(display_image(reference, max_size=200), dtype=np.int16)
    assert float(np.abs(reduced - reduced_reference).mean()) < 0.5


def test_signed_pixels_are_sign_extended() -> None:
    values = (films.pelvis_pixels(*films.SMALL).astype(np.int32) - 8192).astype(np.int16)
    ds = films.dicom_dataset(values.view(np.uint16) & np.uint16(0x3FFF), window=(-1192, 10000))
    ds.PixelRepresentation = 1
    radiograph = read_radiograph(_encoded(ds))
    assert radiograph.signed
    assert np.array_equal(radiograph.stored_values(), values)
    assert int(radiograph.stored_values().min()) < 0


@pytest.mark.parametrize(
    "make",
    [films.rle_dicom_bytes, films.jpeg2000_dicom_bytes],
    ids=["RLE lossless", "JPEG 2000 lossless"],
)
def test_losslessly_compressed_dicom_gives_the_same_pixels(make: Callable[[], bytes]) -> None:
    radiograph = read_radiograph(make())
    assert radiograph.transfer_syntax is not None
    assert np.array_equal(radiograph.stored_values(), films.pelvis_pixels(*films.SMALL))
    assert radiograph.window.source is WindowSource.FILE


@pytest.mark.parametrize(
    ("tool", "options"),
    [("dcmcjpls", ()), ("dcmcjpeg", ())],
    ids=["JPEG-LS lossless (dcmcjpls)", "JPEG lossless SV1 (dcmcjpeg)"],
)
def test_dcmtk_compressed_dicom_gives_the_same_pixels(tool: str, options: tuple[str, ...]) -> None:
    """pydicom cannot encode JPEG-LS or JPEG lossless; dcmtk's encoders make the files."""
    data = films.dcmtk_compressed_bytes(tool, *options)
    if data is None:
        pytest.skip(f"{tool} (Debian package dcmtk) is not installed; ./run installs it")
    radiograph = read_radiograph(data)
    assert radiograph.transfer_syntax not in (None, "1.2.840.10008.1.2.1")
    assert np.array_equal(radiograph.stored_values(), films.pelvis_pixels(*films.SMALL))


def test_jpeg_baseline_dicom_is_decoded_close_to_its_source() -> None:
    radiograph = read_radiograph(films.jpeg_baseline_dicom_bytes())
    source = (films.pelvis_pixels(*films.SMALL) >> (films.BITS_STORED - 8)).astype(np.int16)
    assert radiograph.words.dtype == np.uint8
    assert radiograph.transfer_syntax == "1.2.840.10008.1.2.4.50"
    assert float(np.abs(radiograph.stored_values() - source).mean()) < 2.0


@pytest.mark.parametrize(
    ("make", "image_format"),
    [(films.png_photo_bytes, ImageFormat.PNG), (films.jpeg_photo_bytes, ImageFormat.JPEG)],
)
def test_a_photo_of_a_film_is_read_as_grey_without_spacing(
    make: Callable[[], bytes], image_format: ImageFormat
) -> None:
    radiograph = read_radiograph(make())
    assert radiograph.image_format is image_format
    assert (radiograph.columns, radiograph.rows) == (1250, 1500)
    assert radiograph.words.dtype == np.uint8
    assert radiograph.pixel_spacing is None
    assert radiograph.identifiers == FilmIdentifiers()
    assert radiograph.window.source is WindowSource.EIGHT_BIT
    shown = np.asarray(display_image(radiograph, max_size=None))
    assert np.array_equal(shown, radiograph.words)


def test_a_photo_is_turned_upright_by_its_exif_orientation() -> None:
    """A phone photo taken sideways says so in EXIF; the film is shown upright."""
    buffer = io.BytesIO()
    image = Image.new("L", (40, 20), 0)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees clockwise when shown
    image.save(buffer, format="JPEG", exif=exif)
    radiograph = read_radiograph(buffer.getvalue())
    assert (radiograph.columns, radiograph.rows) == (20, 40)


def test_sixteen_bit_png_keeps_sixteen_bits() -> None:
    buffer = io.BytesIO()
    Image.fromarray(films.pelvis_pixels(*films.SMALL)).save(buffer, format="PNG")
    radiograph = read_radiograph(buffer.getvalue())
    assert radiograph.words.dtype == np.uint16
    assert radiograph.window.source is WindowSource.PIXEL_RANGE


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (films.not_an_image_bytes(), "not a DICOM or PNG/JPEG file"),
        (b"", "is empty"),
        (b"%PDF-1.7\n" + b"0" * 200, "not a DICOM or PNG/JPEG file"),
        (films.truncated_dicom_bytes(), "pixel data truncated: expected 600000 bytes, found"),
        (films.png_photo_bytes()[:5000], "PNG image data truncated or damaged"),
        (films.jpeg2000_dicom_bytes()[:30000], "image truncated: the file ends after 30000"),
        (films.dicom_bytes(rows=SMALL_ROWS, columns=SMALL_COLUMNS)[:700], "truncated"),
    ],
    ids=["text", "empty", "pdf", "truncated dicom", "truncated png", "cut j2k", "cut header"],
)
def test_a_file_that_is_not_a_readable_image_is_refused_in_one_sentence(
    data: bytes, problem: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        read_radiograph(data)
    assert caught.value.field == "file"
    assert problem in caught.value.problem
    assert "\n" not in caught.value.problem


def test_a_dicom_without_pixel_data_is_refused() -> None:
    ds = _small_dataset()
    del ds.PixelData
    del ds.Rows
    enhanced_structured_report = "1.2.840.10008.5.1.4.1.1.88.22"
    ds.SOPClassUID = enhanced_structured_report
    ds.file_meta.MediaStorageSOPClassUID = enhanced_structured_report
    with pytest.raises(InvalidInputError, match="without an image"):
        read_radiograph(_encoded(ds))


def test_a_multi_frame_dicom_is_refused() -> None:
    ds = _small_dataset()
    ds.NumberOfFrames = 2
    with pytest.raises(InvalidInputError, match="2 frames"):
        read_radiograph(_encoded(ds))


def test_a_dicom_data_set_without_preamble_or_file_meta_is_read() -> None:
    """Some archives export the bare data set (implicit VR little endian, no 'DICM')."""
    ds = _small_dataset()
    ds.preamble = None
    del ds.file_meta
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, implicit_vr=True, little_endian=True, enforce_file_format=False)
    assert buffer.getvalue()[128:132] != b"DICM"
    radiograph = read_radiograph(buffer.getvalue())
    assert np.array_equal(radiograph.stored_values(), films.pelvis_pixels(*films.SMALL))
    assert radiograph.window.source is WindowSource.FILE


def test_a_file_claiming_a_huge_image_is_refused_before_decoding() -> None:
    ds = films.dicom_dataset(films.pelvis_pixels(*films.SMALL))
    ds.compress(RLELossless, encoding_plugin="pydicom")
    ds.Rows, ds.Columns = 20000, 20000
    with pytest.raises(InvalidInputError, match="20000 x 20000 pixels"):
        read_radiograph(_encoded(ds))


def test_palette_colour_without_its_palette_is_refused() -> None:
    ds = _small_dataset()
    ds.PhotometricInterpretation = "PALETTE COLOR"
    with pytest.raises(InvalidInputError, match="its colour palette cannot be read"):
        read_radiograph(_encoded(ds))


def test_content_address_is_the_sha256_of_the_file() -> None:
    import hashlib

    data = films.jpeg_photo_bytes()
    assert read_radiograph(data).sha256 == hashlib.sha256(data).hexdigest()


def test_description_names_everything_read() -> None:
    described = describe_radiograph(read_radiograph(films.jpeg2000_dicom_bytes()))
    assert described["transfer_syntax"] == "1.2.840.10008.1.2.4.90"
    assert described["pixel_spacing_mm"] == {
        "row": 0.15,
        "column": 0.15,
        "source": "PixelSpacing",
    }
    assert described["identifiers"]["birth_date"] == "2018-03-14"
    assert described["window"]["source"] == "file"


# --- identifiers against the child's record ---------------------------------------------------

CHILD = ChildIdentity("Amira", "Synthetic", date(2018, 3, 14), "SYN-000123")
FILM = FilmIdentifiers(**films.FILM_IDENTIFIERS)


def test_matching_identifiers_give_no_warning() -> None:
    assert check_identifiers(FILM, CHILD) == ()


@pytest.mark.parametrize(
    "name",
    ["SYNTHETIC^AMIRA", "Synthetic^Amira^Noor", "Synthétic^Amira", "Amira Synthetic"],
)
def test_names_match_whatever_the_case_accents_order_or_middle_name(name: str) -> None:
    film = FilmIdentifiers(**{**films.FILM_IDENTIFIERS, "patient_name": name})
    assert check_identifiers(film, CHILD) == ()


def test_each_differing_identifier_is_a_warning_naming_the_attribute() -> None:
    film = FilmIdentifiers(
        patient_id="SYN-999",
        patient_name="Other^Child",
        birth_date=date(2018, 3, 15),
    )
    warnings = check_identifiers(film, CHILD)
    assert [warning.attribute for warning in warnings] == [
        "PatientName",
        "PatientBirthDate",
        "PatientID",
    ]
    assert all("confirm" in warning.problem for warning in warnings)
    assert "2018-03-15" in warnings[1].problem


def test_a_shared_family_name_alone_is_not_a_match() -> None:
    """A sibling's film has the same family name: that must still be flagged."""
    film = FilmIdentifiers(**{**films.FILM_IDENTIFIERS, "patient_name": "Synthetic^Yusuf"})
    assert [w.attribute for w in check_identifiers(film, CHILD)] == ["PatientName"]


def test_missing_identifiers_are_warnings_too() -> None:
    warnings = check_identifiers(FilmIdentifiers(), CHILD)
    assert [warning.attribute for warning in warnings] == [
        "PatientName",
        "PatientBirthDate",
        "PatientID",
    ]


def test_patient_id_is_not_checked_when_the_record_has_none() -> None:
    child = ChildIdentity("Amira", "Synthetic", date(2018, 3, 14))
    film = FilmIdentifiers(**{**films.FILM_IDENTIFIERS, "patient_id": None})
    assert check_identifiers(film, child) == ()


def test_patient_id_ignores_case_and_spaces() -> None:
    film = FilmIdentifiers(**{**films.FILM_IDENTIFIERS, "patient_id": " syn-000123 "})
    assert check_identifiers(film, CHILD) == ()


def test_child_record_json_is_checked() -> None:
    child = child_identity_from_json(
        {"given_name": "Amira", "family_name": "Synthetic", "date_of_birth": "2018-03-14"}
    )
    assert child.identifier is None
    with pytest.raises(InvalidInputError) as caught:
        child_identity_from_json(
            {"given_name": "Amira", "family_name": "Synthetic", "date_of_birth": "14/03/2018"}
        )
    assert caught.value.field == "child.date_of_birth"
    with pytest.raises(InvalidInputError, match="unknown name"):
        child_identity_from_json({"given_name": "A", "surname": "B", "date_of_birth": "x"})


@given(st.text(alphabet=st.characters(categories=("L", "Zs")), max_size=30))
def test_names_are_folded_as_the_records_fold_them(text: str) -> None:
    """The adapter's own folding (kept light to import) agrees with name_search_key."""
    assert _name_tokens(text) == frozenset(name_search_key(text).split())


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` 8-bit grey pixels in its header (no image)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("width", "height"), [(9_000, 9_000), (100_000, 700), (8_001, 8_000)])
def test_a_png_over_the_pixel_limit_is_refused_from_its_header_before_decoding(
    width: int, height: int
) -> None:
    """The limit DICOM films have (MAX_PIXELS) holds for PNG too, under Pillow's own bomb
    limit (89 million), and is checked before a pixel is decoded (the data here is tiny)."""
    with pytest.raises(InvalidInputError, match="million pixels") as caught:
        read_radiograph(_png_header_only(width, height))
    assert caught.value.field == "file"
