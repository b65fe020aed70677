"""Radiograph files: reading AP pelvis films (DICOM, or a PNG/JPEG photo of a film) and
making windowed previews of them.

- ``reader``: :func:`~hipcare.interop.radiograph.reader.read_radiograph`, the pydicom reader
  (DICOM and photos of films), every error worded for the clinician;
- ``film``: the :class:`~hipcare.interop.radiograph.film.Radiograph` it returns, and
  ``describe_radiograph``;
- ``identifiers``: the file's patient and study identifiers checked against the child's record;
- ``display``: rescale, the display window, the largest film read (shared by every path);
- ``preview``: browser-ready images (numpy, Pillow) and their cache, and the command line's
  fast preview of a plain film (no numpy, no pydicom);
- ``native_reader``: that fast path's reader of plain uncompressed grey DICOM (``struct``).

This file imports nothing: ``hipcare radiograph preview`` imports the package on its fast
path, whose start-up time is measured against ``dcmj2pnm`` (ADR 0011); import the modules.
"""
