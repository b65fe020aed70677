"""Every DICOM file pydicom and pydicom-data ship: read or refused in one line (issue 15).

pydicom's own test files and the ``pydicom-data`` package (real CR films among them) hold
big-endian, colour, palette, multi-frame, damaged and hostile files. ``hipcare radiograph
info`` and ``preview`` either succeed (exit 0) or refuse with exit 2 and one line on
standard error; never a traceback. Which files are refused, and why, is written out below
(``EXPECTED_REFUSALS``): every other file must preview, so an untrue refusal fails; each
preview dcmtk's ``dcmj2pnm`` can also render is within one grey level of it (same window);
and the fast native reader's preview is byte for byte the pydicom reader's wherever it reads
a file at all.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import data_store
import numpy as np
import pytest
from PIL import Image
from pydicom.data import get_testdata_file, get_testdata_files

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.domain.errors import InvalidInputError
from hipcare.interop.radiograph.display import WindowSource
from hipcare.interop.radiograph.preview import PreviewFormat, native_preview, render_preview
from hipcare.interop.radiograph.reader import read_radiograph

HIPCARE = Path(sys.executable).with_name("hipcare")


def _corpus() -> list[Path]:
    shipped = {Path(name) for name in get_testdata_files("**/*")}
    shipped |= {path for path in Path(data_store.__file__).parent.rglob("*") if path.is_file()}
    return sorted(
        path
        for path in shipped
        if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts
    )


CORPUS = _corpus()
SUBPROCESS_SAMPLE = ("badVR.dcm", "meta_missing_tsyntax.dcm", "nested_priv_SQ.dcm")


# The files hipcare refuses, by name (a regular expression), with the reason it must give.
# Every other file of the corpus must preview. Reviewed one by one against the file: each
# reason is true of it (issue 15 item 4 asks for no untrue refusal).
EXPECTED_REFUSALS: tuple[tuple[str, str], ...] = (
    # Not DICOM at all: text, JSON, dumps, an ICC profile, a gzip file, and a file whose
    # first element is garbage (pydicom itself reads one nonsense element from it).
    (r"README(\.txt)?|.*\.(json|dump|icc|gz)|no_meta\.dcm", "not a DICOM or PNG/JPEG file"),
    # DICOM files that are not images: directories, reports, plans, structures, waveforms.
    (
        r"DICOMDIR.*|ExplVR_(Lit|Big)EndNoMeta\.dcm|empty_charset_LEI\.dcm|reportsi.*\.dcm|"
        r"rtplan(_truncated)?\.dcm|rtstruct\.dcm|test-SR\.dcm|waveform_ecg\.dcm",
        "a DICOM file without an image",
    ),
    # Image classes written without their pixel data (DICOMDIR test sets, element tests).
    (
        r"IM0000[0-9A-Z]{2}|priv_SQ\.dcm|UN_sequence\.dcm|no_meta_group_length\.dcm",
        "image truncated or exported without its pixel data",
    ),
    (r"meta_missing_tsyntax\.dcm|nested_priv_SQ\.dcm", "has no valid Rows"),
    (r"badVR\.dcm", "NumberOfFrames is not a whole number"),
    (r"emri_small_jpeg_2k_lossless_too_short\.dcm", "image truncated: the file ends after"),
    (r"MR_truncated\.dcm", "pixel data truncated: expected 8192 bytes, found 8130"),
    # A JPEG 2000 stream that holds the sequence delimiter's bytes: neither pydicom's
    # decoders nor dcmtk's (no JPEG 2000 in Debian's dcmtk) read it.
    (r"JPEG2000-embedded-sequence-delimiter\.dcm", "cannot be decoded"),
    (r"liver(_expb)?_1frame\.dcm", "1-bit pixel data is not read"),
    (r"SC_rgb(_expb|_rle)?_32bit\.dcm|rtdose(_expb|_rle)?_1frame\.dcm", "32-bit pixel data"),
    (
        r"emri_small.*\.dcm|color3d_jpeg_baseline\.dcm|rtdose(_expb|_rle)?\.dcm|"
        r".*_2frame\.dcm|eCT_Supplemental\.dcm|liver(_expb)?\.dcm|examples_ybr_color\.dcm",
        "frames; hipcare reads single-frame radiographs",
    ),
)

# Files whose preview differs from dcmj2pnm's by more than a grey level, with the reason:
# none at present.
DCMTK_DIFFERS: dict[str, str] = {}


def _expected_refusal(path: Path) -> str | None:
    for pattern, reason in EXPECTED_REFUSALS:
        if re.fullmatch(pattern, path.name):
            return reason
    return None


def _one_sentence(text: str) -> bool:
    """One line, and no full stop, question or exclamation mark followed by a new sentence."""
    return "\n" not in text and re.search(r"[.?!] [A-Z]", text) is None


def _run(argv: list[str]) -> tuple[int, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(argv, {}, CommandIO(io.StringIO(), stdout, stderr, {}))
    return status, stderr.getvalue()


def test_the_corpus_is_the_two_packages_in_full() -> None:
    """Both packages are found (a missing one would make the sweep below pass vacuously)."""
    names = {path.name for path in CORPUS}
    assert {"CT_small.dcm", "MR_small_bigendian.dcm", "693_UNCR.dcm"} <= names
    assert len(CORPUS) > 200


@pytest.mark.parametrize("action", ["info", "preview"])
def test_every_shipped_file_is_read_or_refused_in_one_line(action: str, tmp_path: Path) -> None:
    failures = []
    for path in CORPUS:
        extra = ["--output", str(tmp_path / "preview.png")] if action == "preview" else []
        try:
            status, stderr = _run(["radiograph", action, str(path), *extra])
        except Exception as error:
            failures.append(f"{path.name}: raised {type(error).__name__}: {error}")
            continue
        if status == 0:
            continue
        if status != 2 or len(stderr.strip().splitlines()) != 1 or "Traceback" in stderr:
            failures.append(f"{path.name}: exit {status}: {stderr[:200]!r}")
    assert failures == []


@pytest.mark.parametrize("name", SUBPROCESS_SAMPLE)
@pytest.mark.parametrize("action", ["info", "preview"])
def test_a_damaged_file_as_a_real_process_prints_one_line_not_a_traceback(
    name: str, action: str, tmp_path: Path
) -> None:
    extra = ["--output", str(tmp_path / "preview.png")] if action == "preview" else []
    done = subprocess.run(
        [str(HIPCARE), "radiograph", action, get_testdata_file(name) or "", *extra],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode in (0, 2)
    assert "Traceback" not in done.stderr
    if done.returncode == 2:
        assert len(done.stderr.strip().splitlines()) == 1


def test_big_endian_pixels_read_as_the_same_values_as_little_endian() -> None:
    """MR_small_bigendian.dcm is MR_small.dcm in Explicit VR Big Endian."""
    little = read_radiograph(Path(get_testdata_file("MR_small.dcm") or "").read_bytes())
    big = read_radiograph(Path(get_testdata_file("MR_small_bigendian.dcm") or "").read_bytes())
    assert np.array_equal(little.words, big.words)
    assert little.window == big.window


def test_every_file_previews_unless_it_is_refused_for_its_written_reason() -> None:
    """No untrue refusal: the refused files are exactly those listed, each for its reason,
    in one sentence; everything else reads."""
    wrong = []
    for path in CORPUS:
        expected = _expected_refusal(path)
        try:
            read_radiograph(path.read_bytes())
        except InvalidInputError as error:
            if expected is None or expected not in error.problem:
                wrong.append(f"{path.name}: refused: {error.problem}")
            elif not _one_sentence(error.problem):
                wrong.append(f"{path.name}: not one sentence: {error.problem}")
            continue
        if expected is not None:
            wrong.append(f"{path.name}: read, but listed as refused ({expected})")
    assert wrong == []


def _dicom_previews() -> list[Path]:
    return [
        path
        for path in CORPUS
        if (_expected_refusal(path) is None and path.read_bytes()[128:132] == b"DICM")
        or path.name == "OT-PAL-8-face.dcm"
    ]


def test_every_preview_dcmtk_renders_is_within_one_grey_level_of_dcmj2pnm(tmp_path: Path) -> None:
    """Same window (the file's, or the pixel range hipcare chose; colour as stored), full
    size: mean difference at most 1 grey level. Debian's dcmtk has no JPEG 2000 or JPEG-LS
    decoder; those files are compared with the pydicom decoders' own tests instead."""
    dcmj2pnm = shutil.which("dcmj2pnm")
    assert dcmj2pnm is not None, "dcmj2pnm (Debian package dcmtk) is missing: ./run installs it"
    compared, differing = [], []
    for path in _dicom_previews():
        radiograph = read_radiograph(path.read_bytes())
        window = radiograph.window
        options = (
            []
            if window.source is WindowSource.EIGHT_BIT
            else ["+Ww", repr(window.centre), repr(window.width)]
        )
        target = tmp_path / f"{len(compared)}.png"
        done = subprocess.run(
            [dcmj2pnm, "+on", *options, str(path), str(target)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            continue  # a codec dcmtk lacks (JPEG 2000, JPEG-LS) or a file it refuses
        theirs = np.asarray(Image.open(target).convert("L"), dtype=np.float64)
        preview = render_preview(radiograph, max_size=None, image_format=PreviewFormat.PNG)
        ours = np.asarray(Image.open(io.BytesIO(preview.data)), dtype=np.float64)
        compared.append(path.name)
        difference = float(np.abs(ours - theirs).mean()) if ours.shape == theirs.shape else 255
        if difference > 1.0 and path.name not in DCMTK_DIFFERS:
            differing.append(f"{path.name}: mean difference {difference:.2f}")
    assert differing == []
    # The colour, palette, 4:2:2, 12-bit JPEG, overlay and big-endian files are among them.
    assert {
        "OBXXXX1A.dcm",
        "OBXXXX1A_expb.dcm",
        "OT-PAL-8-face.dcm",
        "SC_ybr_full_422_uncompressed.dcm",
        "JPEG-lossy.dcm",
        "MR-SIEMENS-DICOM-WithOverlays.dcm",
        "MR_small_bigendian.dcm",
        "mlut_18.dcm",
    } <= set(compared)
    assert len(compared) > 90


def test_overlay_planes_are_drawn_white_where_dcmtk_draws_them(tmp_path: Path) -> None:
    """Without its overlay dcmtk's picture differs from ours exactly where the plane is set."""
    path = Path(get_testdata_file("MR-SIEMENS-DICOM-WithOverlays.dcm") or "")
    radiograph = read_radiograph(path.read_bytes())
    assert radiograph.overlay is not None
    assert int(radiograph.overlay.sum()) > 100
    preview = render_preview(radiograph, max_size=None, image_format=PreviewFormat.PNG)
    ours = np.asarray(Image.open(io.BytesIO(preview.data)))
    assert (ours[radiograph.overlay] == 255).all()
    window = radiograph.window
    subprocess.run(
        ["dcmj2pnm", "+on", "-O", "+Ww", repr(window.centre), repr(window.width), str(path),
         str(tmp_path / "bare.png")],
        check=True,
    )  # fmt: skip
    bare = np.asarray(Image.open(tmp_path / "bare.png").convert("L"))
    changed = np.abs(ours.astype(int) - bare.astype(int)) > 1
    assert (changed <= radiograph.overlay).all()
    assert changed.sum() > 0.5 * radiograph.overlay.sum()


def test_the_native_reader_gives_the_pydicom_readers_bytes_wherever_it_reads(
    tmp_path: Path,
) -> None:
    """The command line's fast path (no numpy, no pydicom) agrees on every corpus file it
    takes; it leaves the rest (compressed, colour, overlays...) to pydicom."""
    taken = []
    for path in CORPUS:
        data = path.read_bytes()
        for max_size in (None, 256):
            fast = native_preview(
                data, max_size=max_size, image_format=PreviewFormat.PNG, cache_key="k"
            )
            if fast is None:
                continue
            full = render_preview(
                read_radiograph(data),
                max_size=max_size,
                image_format=PreviewFormat.PNG,
                cache_key="k",
            )
            assert fast.data == full.data, path.name
            assert fast.window == full.window, path.name
            taken.append(path.name)
    assert "MR-SIEMENS-DICOM-WithOverlays.dcm" not in taken
    # Real CR films of pydicom-data and pydicom's uncompressed MR and RG films among them.
    assert {"6154", "MR2_UNCR.dcm", "RG1_UNCI.dcm"} <= set(taken)
