"""The codes and URLs hipcare's FHIR resources use, and where each one comes from.

Verified codes (checked in public FHIR implementation guides and value sets with the
project's search tool on 2026-11-25; see ``docs/fhir.md`` for the places):

- SNOMED CT 128188000 "Cerebral palsy (disorder)" (clinical spec section 6; e.g. the
  "CP - Cerebral palsy" example Condition of a public IG and a SNOMED value set listing
  "Cerebral palsy (disorder)").
- SNOMED CT 287579007 "Right hip region structure" and 287679003 "Left hip region structure"
  (body structures, listed together in several national IG body-site value sets).
- LOINC 72514-3 "Pain severity - 0-10 verbal numeric rating [Score] - Reported" (the
  child's own 0-10 pain score in the home diary, :mod:`hipcare.interop.fhir.diary`).
- UCUM ``%`` and ``deg`` (units of measure).

SNOMED CT 157265008 "Dislocation of hip joint (disorder)" is verified but NOT used: the hips
hipcare follows are displacing (subluxed, migration percentage rising), rarely dislocated,
so coding them as dislocated would overstate the record. Hip displacement, the radiographic
measures, the GMFCS level, the procedures and the pathway items have no verified standard
code, so they live in hipcare's own code systems below (clinical spec section 6: no verified
LOINC for migration percentage or GMFCS).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Final

__all__ = [
    "ACT_CODE",
    "BASE_URL",
    "CODE_SYSTEM_COMPLICATION_GRADES",
    "CODE_SYSTEM_CONDITIONS",
    "CODE_SYSTEM_GMFCS",
    "CODE_SYSTEM_MEASURES",
    "CODE_SYSTEM_OWNERS",
    "CODE_SYSTEM_PATHWAY_ITEMS",
    "CODE_SYSTEM_PROCEDURES",
    "DEFAULT_IDENTIFIERS",
    "EXTENSION_GESTATION_AT_BIRTH",
    "HIP_BODY_SITES",
    "IDENTIFIER_CHILD",
    "IDENTIFIER_MEASURE",
    "IDENTIFIER_SITE",
    "LOINC",
    "LOINC_PAIN_SEVERITY_0_10",
    "MEASURES",
    "PROCEDURES",
    "SNOMED",
    "SNOMED_CEREBRAL_PALSY",
    "UCUM",
    "LocalIdentifiers",
    "Measure",
]

#: The canonical base of hipcare's own FHIR artefacts: its code systems and extension
#: definitions, the same for every installation, so that one installation can read another's
#: codes (ADR 0023). ``example.org`` is reserved for examples (RFC 2606). An
#: installation's *identifiers* and Bundle ``fullUrl`` values use its own base URL instead
#: (``HIPCARE_FHIR_BASE_URL``, :class:`LocalIdentifiers`), so two installations never mint
#: the same identifier.
BASE_URL: Final = "https://hipcare.example.org/fhir"

SNOMED: Final = "http://snomed.info/sct"
LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/condition-category"

CODE_SYSTEM_MEASURES: Final = f"{BASE_URL}/CodeSystem/hipcare-measures"
CODE_SYSTEM_GMFCS: Final = f"{BASE_URL}/CodeSystem/gmfcs-level"
CODE_SYSTEM_CONDITIONS: Final = f"{BASE_URL}/CodeSystem/hipcare-conditions"
CODE_SYSTEM_PROCEDURES: Final = f"{BASE_URL}/CodeSystem/hipcare-procedures"
CODE_SYSTEM_PATHWAY_ITEMS: Final = f"{BASE_URL}/CodeSystem/vdro-pathway-items"
CODE_SYSTEM_OWNERS: Final = f"{BASE_URL}/CodeSystem/vdro-pathway-owners"
CODE_SYSTEM_COMPLICATION_GRADES: Final = f"{BASE_URL}/CodeSystem/clavien-dindo-sink-grade"
"""The modified Clavien-Dindo-Sink grades (Dodwell et al., JBJS Open Access 2018): I ... V."""
ACT_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
"""HL7 v3 ActCode: the Encounter class (``IMP``, inpatient encounter)."""

EXTENSION_GESTATION_AT_BIRTH: Final = f"{BASE_URL}/StructureDefinition/gestation-at-birth"
"""hipcare's extension on Patient: completed weeks of gestation at birth (a Quantity)."""


@dataclass(frozen=True)
class LocalIdentifiers:
    """One installation's base URL and the identifier systems it mints from it.

    Build it from ``HIPCARE_FHIR_BASE_URL`` (:meth:`from_base_url`); two installations with
    different base URLs never give two children the same identifier, so a third system that
    imports both never mistakes one child for another (issue 15).
    """

    base_url: str
    child: str
    site: str
    measure: str

    @classmethod
    def from_base_url(cls, base_url: str) -> LocalIdentifiers:
        base = base_url.rstrip("/")
        return cls(
            base_url=base,
            child=f"{base}/sid/child-id",
            site=f"{base}/sid/site-id",
            measure=f"{base}/sid/observation-id",
        )


#: The example installation's identifiers (tests and documentation; a deployment sets
#: ``HIPCARE_FHIR_BASE_URL``).
DEFAULT_IDENTIFIERS: Final = LocalIdentifiers.from_base_url(BASE_URL)
IDENTIFIER_CHILD: Final = DEFAULT_IDENTIFIERS.child
IDENTIFIER_SITE: Final = DEFAULT_IDENTIFIERS.site
IDENTIFIER_MEASURE: Final = DEFAULT_IDENTIFIERS.measure

SNOMED_CEREBRAL_PALSY: Final = ("128188000", "Cerebral palsy (disorder)")
LOINC_PAIN_SEVERITY_0_10: Final = (
    "72514-3",
    "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
)
HIP_DISPLACEMENT: Final = ("hip-displacement", "Hip displacement in cerebral palsy")


class Measure(Enum):
    """A radiographic measure of one hip, as hipcare stores it (``HipMeasures`` fields)."""

    MIGRATION_PERCENTAGE = "migration_percentage_reported"
    ACETABULAR_INDEX = "acetabular_index_deg"
    HEAD_SHAFT_ANGLE = "head_shaft_angle_deg"
    NECK_SHAFT_ANGLE = "neck_shaft_angle_deg"


@dataclass(frozen=True)
class MeasureCode:
    """A measure's code in hipcare's measures CodeSystem and its UCUM unit."""

    code: str
    display: str
    unit_code: str
    unit_display: str


#: Measures -> their code (hipcare-measures CodeSystem) and UCUM unit.
MEASURES: Final = MappingProxyType(
    {
        Measure.MIGRATION_PERCENTAGE: MeasureCode(
            "migration-percentage", "Reimers migration percentage", "%", "%"
        ),
        Measure.ACETABULAR_INDEX: MeasureCode("acetabular-index", "Acetabular index", "deg", "°"),
        Measure.HEAD_SHAFT_ANGLE: MeasureCode("head-shaft-angle", "Head-shaft angle", "deg", "°"),
        Measure.NECK_SHAFT_ANGLE: MeasureCode("neck-shaft-angle", "Neck-shaft angle", "deg", "°"),
    }
)
#: The raw (unclamped) migration percentage, a component of the migration percentage.
MIGRATION_PERCENTAGE_RAW: Final = ("migration-percentage-raw", "Reimers migration percentage, raw")
#: An operated hip's migration percentage around its operation (issue 19), chosen from the
#: films as the outcomes report chooses them (``hipcare.domain.outcomes.hip_outcomes``).
MIGRATION_PERCENTAGE_BEFORE: Final = (
    "migration-percentage-before-surgery",
    "Reimers migration percentage, last film before the operation",
)
MIGRATION_PERCENTAGE_1_YEAR: Final = (
    "migration-percentage-1-year-after-surgery",
    "Reimers migration percentage, film nearest 1 year after the operation",
)
MIGRATION_PERCENTAGE_2_YEARS: Final = (
    "migration-percentage-2-years-after-surgery",
    "Reimers migration percentage, film nearest 2 years after the operation",
)
GMFCS_LEVEL: Final = ("gmfcs-level", "GMFCS level (Gross Motor Function Classification System)")

#: Patient's side -> SNOMED CT body structure (verified, see the module docstring).
HIP_BODY_SITES: Final = MappingProxyType(
    {
        "right": ("287579007", "Right hip region structure"),
        "left": ("287679003", "Left hip region structure"),
    }
)

#: hipcare's procedures (``hipcare.domain.pathway.Procedure`` values) -> local display.
PROCEDURES: Final = MappingProxyType(
    {
        "vdro": "Varus derotation osteotomy of the proximal femur (VDRO)",
        "dega": "Dega pelvic (acetabular) osteotomy",
        "adductor-release": "Adductor release",
        "psoas-release": "Psoas release",
        "open-reduction": "Open reduction of the hip",
        "plate-removal": "Removal of the femoral plate and screws",
    }
)
#: What the outcome of an operation records was done later (issue 19), in the procedures
#: CodeSystem beside :data:`PROCEDURES`.
RETURN_TO_THEATRE: Final = ("return-to-theatre", "Unplanned return to theatre")
REOPERATION: Final = ("reoperation", "Re-operation on a hip treated by an earlier VDRO")
