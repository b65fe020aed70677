"""Reading a photographed film (PNG or JPEG, Pillow) as a radiograph; see
``hipcare.interop.radiograph.reader``, which chooses the reader.
"""

from __future__ import annotations

import io
import warnings

from hipcare.domain.errors import InvalidInputError
from hipcare.interop.radiograph.dicom_attributes import (
    FILE_FIELD,
    NOT_AN_IMAGE,
    first_line,
)
from hipcare.interop.radiograph.display import (
    MAX_PIXELS,
    Window,
    WindowSource,
)
from hipcare.interop.radiograph.film import (
    FilmIdentifiers,
    ImageFormat,
    Radiograph,
    pixel_range_window,
)

__all__ = [
    "read_photo",
]


def read_photo(data: bytes, image_format: ImageFormat) -> Radiograph:
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                # The header's size, before any pixel is decoded: the same limit as a DICOM
                # film's (a 361 kB PNG that decodes to 88 million pixels took 750 MB).
                columns, rows = opened.size
                if rows * columns > MAX_PIXELS:
                    raise InvalidInputError(
                        FILE_FIELD,
                        f"says it is {columns} x {rows} pixels, more than any radiograph "
                        f"hipcare reads ({MAX_PIXELS // 1_000_000} million pixels): a "
                        "damaged or hostile file?",
                    )
                opened.load()
                image = ImageOps.exif_transpose(opened)
    except UnidentifiedImageError:
        raise InvalidInputError(FILE_FIELD, NOT_AN_IMAGE) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInputError(
            FILE_FIELD, "the image is too large to be a photo of a film (over 89 million pixels)"
        ) from None
    # Pillow reports a cut-off or damaged PNG/JPEG as OSError/SyntaxError/ValueError.
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidInputError(
            FILE_FIELD,
            f"{image_format.value.upper()} image data truncated or damaged "
            f"({first_line(error)}); save or photograph the film again",
        ) from None
    notes = [
        "a photo of a film: no pixel spacing, so no distances in mm; migration percentage and "
        "angles are ratios; check the photo is square-on and the film flat"
    ]
    if image.mode in ("I;16", "I;16L", "I;16B"):
        words = np.asarray(image, dtype=np.uint16)
        bits = 16
    else:
        if image.mode != "L":
            notes.append(f"{image.mode} photo turned to grey")
            image = image.convert("L")
        words = np.asarray(image, dtype=np.uint8)
        bits = 8
    words.flags.writeable = False
    radiograph = Radiograph(
        words=words,
        words_are_raw=False,
        bits_stored=bits,
        signed=False,
        image_format=image_format,
        photometric_interpretation="MONOCHROME2",
        inverted=False,
        rescale_slope=1.0,
        rescale_intercept=0.0,
        window=Window(128.0, 256.0, WindowSource.EIGHT_BIT),
        pixel_spacing=None,
        identifiers=FilmIdentifiers(),
        transfer_syntax=None,
        notes=tuple(notes),
        source=data,
    )
    if bits == 16:
        object.__setattr__(radiograph, "window", pixel_range_window(radiograph))
    return radiograph
