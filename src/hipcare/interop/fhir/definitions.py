"""The definitions behind hipcare's local codes and extensions, shipped with every export.

A system that receives hipcare's export can look up each local code and extension in the
export itself (issue 15): one CodeSystem resource per local code system (every code hipcare
writes in it, with its display) and one StructureDefinition per local extension. Their
``url``\\ s are hipcare's canonical artefact base (:data:`hipcare.interop.fhir.codes.BASE_URL`),
the same for every installation; the installation's own base URL only makes identifiers.

Pure: the pathway (for its items) is handed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.outcomes import ComplicationGrade
from hipcare.domain.pathway import Owner, Pathway
from hipcare.interop.fhir import codes
from hipcare.interop.fhir.diary import CODE_SYSTEM_SKIN_FINDING, R_FLACC_TOTAL, SKIN_FINDING_WORDS

__all__ = ["code_systems", "definition_resources", "structure_definitions"]

Resource = dict[str, Any]

_PUBLISHER = "hipcare"
_OWNER_WORDS = {
    Owner.FAMILY: "The family",
    Owner.OT: "Occupational therapist",
    Owner.PHYSIO: "Physiotherapist",
    Owner.NURSE: "Nurse",
    Owner.SURGEON: "Surgeon",
    Owner.ANAESTHETIST: "Anaesthetist",
    Owner.SCHOOL: "School",
    Owner.CARE_TEAM: "Care team",
}


def _code_system(
    url: str, name: str, title: str, description: str, concepts: Iterable[tuple[str, str]]
) -> Resource:
    listed = [{"code": code, "display": display} for code, display in dict(concepts).items()]
    return {
        "resourceType": "CodeSystem",
        "id": url.rsplit("/", 1)[1],
        "url": url,
        "name": name,
        "title": title,
        "status": "active",
        "experimental": False,
        "publisher": _PUBLISHER,
        "description": description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(listed),
        "concept": listed,
    }


def code_systems(pathway: Pathway) -> list[Resource]:
    """One CodeSystem per local code system hipcare's resources use, each complete."""
    measures = [(item.code, item.display) for item in codes.MEASURES.values()]
    return [
        _code_system(
            codes.CODE_SYSTEM_MEASURES,
            "HipcareMeasures",
            "hipcare measures",
            "Radiographic hip measures, the GMFCS level and scores hipcare records; no "
            "verified LOINC code exists for them (clinical spec section 6).",
            [
                *measures,
                codes.MIGRATION_PERCENTAGE_RAW,
                codes.MIGRATION_PERCENTAGE_BEFORE,
                codes.MIGRATION_PERCENTAGE_1_YEAR,
                codes.MIGRATION_PERCENTAGE_2_YEARS,
                codes.GMFCS_LEVEL,
                R_FLACC_TOTAL,
            ],
        ),
        _code_system(
            codes.CODE_SYSTEM_GMFCS,
            "GmfcsLevel",
            "GMFCS level",
            "Gross Motor Function Classification System levels I-V (Palisano et al. 1997).",
            [(level.value, f"GMFCS level {level.value}") for level in GMFCS],
        ),
        _code_system(
            codes.CODE_SYSTEM_CONDITIONS,
            "HipcareConditions",
            "hipcare conditions",
            "Conditions without a verified SNOMED CT code that fits (see codes.py).",
            [codes.HIP_DISPLACEMENT],
        ),
        _code_system(
            codes.CODE_SYSTEM_PROCEDURES,
            "HipcareProcedures",
            "hipcare procedures",
            "The hip operations hipcare plans, and what an operation's outcome records was "
            "done later.",
            [*codes.PROCEDURES.items(), codes.RETURN_TO_THEATRE, codes.REOPERATION],
        ),
        _code_system(
            codes.CODE_SYSTEM_PATHWAY_ITEMS,
            "VdroPathwayItems",
            "VDRO pathway items",
            f"The items of hipcare's care pathway {pathway.id!r} (content/pathway.toml).",
            [(item.id, item.title) for item in pathway.items],
        ),
        _code_system(
            codes.CODE_SYSTEM_OWNERS,
            "VdroPathwayOwners",
            "VDRO pathway owners",
            "Who acts on a pathway item.",
            [(owner.value, _OWNER_WORDS[owner]) for owner in Owner],
        ),
        _code_system(
            codes.CODE_SYSTEM_COMPLICATION_GRADES,
            "ClavienDindoSinkGrade",
            "Modified Clavien-Dindo-Sink grade",
            "Complication grades of the modified Clavien-Dindo-Sink classification for "
            "paediatric orthopaedic surgery (Dodwell et al., JBJS Open Access 2018).",
            [
                (grade.value, f"Clavien-Dindo-Sink grade {grade.value}")
                for grade in ComplicationGrade
            ],
        ),
        _code_system(
            CODE_SYSTEM_SKIN_FINDING,
            "SkinFinding",
            "Skin finding",
            "What a family sees at a pressure area in the home diary (NPIAP stages in words).",
            [(finding.value, words) for finding, words in SKIN_FINDING_WORDS.items()],
        ),
    ]


def structure_definitions() -> list[Resource]:
    """One StructureDefinition per local extension (today: gestation at birth on Patient)."""
    url = codes.EXTENSION_GESTATION_AT_BIRTH
    return [
        {
            "resourceType": "StructureDefinition",
            "id": url.rsplit("/", 1)[1],
            "url": url,
            "name": "GestationAtBirth",
            "title": "Gestation at birth",
            "status": "active",
            "publisher": _PUBLISHER,
            "description": "Completed weeks of gestation at birth (20-45), as hipcare records "
            "it; no core Patient element holds it.",
            "kind": "complex-type",
            "abstract": False,
            "context": [{"type": "element", "expression": "Patient"}],
            "type": "Extension",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
            "derivation": "constraint",
            "differential": {
                "element": [
                    {
                        "id": "Extension",
                        "path": "Extension",
                        "short": "Gestation at birth",
                        "definition": "Completed weeks of gestation at birth.",
                        "max": "1",
                    },
                    {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
                    {
                        "id": "Extension.url",
                        "path": "Extension.url",
                        "fixedUri": url,
                    },
                    {
                        "id": "Extension.value[x]",
                        "path": "Extension.value[x]",
                        "min": 1,
                        "type": [{"code": "Quantity"}],
                    },
                ]
            },
        }
    ]


def definition_resources(pathway: Pathway) -> list[Resource]:
    """Every local CodeSystem and StructureDefinition, for an export."""
    return [*code_systems(pathway), *structure_definitions()]
