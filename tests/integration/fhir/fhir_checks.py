"""Independent FHIR validation for the tests: fhir.resources R4B models and FHIRPath invariants.

Never hipcare's own code: the models come from ``fhir.resources`` (R4B, the closest release
of the models to R4 that the package ships) and the invariants are the FHIR specification's
own FHIRPath expressions, evaluated by ``fhirpathpy`` with its R4 model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

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


def validate(resource: Mapping[str, Any]) -> None:
    """Parse ``resource`` with its R4B model and check the invariants listed for its type."""
    resource_type = resource["resourceType"]
    get_fhir_model_class(resource_type).model_validate(dict(resource))
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
        for name, expression in INVARIANTS["Bundle"]:
            assert fhirpath(bundle, expression) == [True], f"Bundle fails {name}"
    addresses = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    for entry in bundle["entry"]:
        if entries:
            validate(entry["resource"])
        for reference in references(entry["resource"]):
            assert reference in addresses, f"{reference} does not resolve inside the bundle"
