"""The published numbers and the method texts behind hipcare's radiograph measures.

Each error limit names its paper; each ``*_METHOD`` string is what a measure reports as
"how it was computed" (``hipcare.domain.radiograph``, ``hipcare.domain.migration_change``).
"""

from __future__ import annotations

__all__ = [
    "ACETABULAR_INDEX_CHANGE_ERROR_DEG",
    "ACETABULAR_INDEX_METHOD",
    "ACETABULAR_INDEX_SINGLE_FILM_ERROR_DEG",
    "DAYS_PER_YEAR",
    "HEAD_SHAFT_ANGLE_METHOD",
    "MAXIMUM_HILGENREINER_TILT_DEG",
    "MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS",
    "MIGRATION_PERCENTAGE_CHANGE_METHOD",
    "MIGRATION_PERCENTAGE_METHOD",
    "MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS",
    "NECK_SHAFT_ANGLE_METHOD",
    "PELVIC_OBLIQUITY_DISTORTING_MIGRATION_DEG",
    "PELVIC_OBLIQUITY_METHOD",
]

MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS = 5.8
"""95% limit (percentage points) for an experienced rater's MP on ONE film.

Parrott J, Boyd RN, Dobson F, et al. Hip displacement in spastic cerebral palsy:
repeatability of radiologic measurement. J Pediatr Orthop 2002;22(5):660-667 (abstract).
"""

MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS = 8.3
"""95% limit (percentage points) for the CHANGE in MP between two films (Parrott et al. 2002).

A change smaller than this is within measurement error.
"""

ACETABULAR_INDEX_SINGLE_FILM_ERROR_DEG = 2.6
"""95% limit (degrees) for the acetabular index on one film (Parrott et al. 2002)."""

ACETABULAR_INDEX_CHANGE_ERROR_DEG = 3.7
"""95% limit (degrees) for the change in acetabular index between two films (Parrott 2002)."""

MAXIMUM_HILGENREINER_TILT_DEG = 45.0
"""Largest tilt of Hilgenreiner's line from the image horizontal that hipcare accepts.

Not a clinical threshold: beyond it the film is not shown head-up (or the triradiate
landmarks are wrong), and image-up can no longer stand for cranial.
"""

PELVIC_OBLIQUITY_DISTORTING_MIGRATION_DEG = 5.0
"""Pelvic obliquity above which the plain migration percentage is distorted.

Hagglund G, Goldring M, Hermanson M, Rodby-Bousquet E. Pelvic obliquity and measurement of
hip displacement in children with cerebral palsy. Acta Orthop 2018;89(6):652-655 (abstract:
use the pelvis-adjusted MP "at least in hips with a pelvic obliquity exceeding 5 degrees").
"""

DAYS_PER_YEAR = 365.25
"""Length of the mean (Julian) year used to turn days between films into years."""

MIGRATION_PERCENTAGE_METHOD = (
    "Reimers migration percentage = 100 * (part of the femoral head width lateral to Perkin's "
    "line) / (head width), both measured parallel to Hilgenreiner's line through the two "
    "triradiate cartilages; reported value clamped to 0-100, raw value kept "
    "(Reimers, Acta Orthop Scand Suppl 1980;184; formula as in danielchyeh/hipscreen-ai "
    "stage2/utils.py calc_mi)"
)
ACETABULAR_INDEX_METHOD = (
    "acetabular index = angle between Hilgenreiner's line and the line from the triradiate "
    "cartilage point of that side to the lateral edge of the acetabulum, positive when the "
    "edge lies cranial to the triradiate point (Hilgenreiner; as in "
    "FleurBoel/Automated-Hip-Morphology-Measurements calc_AI.py)"
)
NECK_SHAFT_ANGLE_METHOD = (
    "neck-shaft angle = obtuse angle between the neck axis (head_centre to neck_base) and the "
    "shaft axis (shaft_proximal to shaft_distal); sensitive to limb rotation (20 degrees of "
    "rotation moves it -6.6/+9.9 degrees, PMC8790813); as in "
    "FleurBoel/Automated-Hip-Morphology-Measurements calc_NSA.py"
)
HEAD_SHAFT_ANGLE_METHOD = (
    "head-shaft angle = obtuse angle between the shaft axis (shaft_proximal to shaft_distal) "
    "and the perpendicular to the line joining the two edges of the capital physis "
    "(physis_medial, physis_lateral); least sensitive to limb rotation (PMC8790813)"
)
PELVIC_OBLIQUITY_METHOD = (
    "pelvic obliquity = acute angle between the line through the highest points of the two "
    "iliac crests and the image horizontal, high side = the crest nearer the top of the image; "
    "assumes the trunk lies along the film's vertical axis (hipcare definition, to be confirmed "
    f"by the clinical lead; an obliquity over {PELVIC_OBLIQUITY_DISTORTING_MIGRATION_DEG:g} "
    "degrees distorts the migration percentage, "
    "Hagglund et al. Acta Orthop 2018;89:652-655)"
)
MIGRATION_PERCENTAGE_CHANGE_METHOD = (
    "change = later - earlier reported migration percentage; velocity = change / years between "
    f"the films (days / {DAYS_PER_YEAR}); a change smaller than "
    f"{MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS} percentage points is within measurement error "
    "(Parrott et al. J Pediatr Orthop 2002;22:660-667)"
)
