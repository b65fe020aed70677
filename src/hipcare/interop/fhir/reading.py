"""FHIR R4 resources from another system -> hipcare's import candidates, or why not.

:func:`read_bundle` reads a Bundle (any ``type``) and returns what
:func:`hipcare.services.fhir.import_records` stores: Patients (with their RelatedPersons as
family contacts and a GMFCS Observation as their level) and Observations of hip measures.
Every other resource type is listed as skipped (an Organization is still used to find a
Patient's site). A resource that cannot be read is rejected with its index in the bundle
and the reason; reading never stops at the first problem.

What hipcare reads:

- Patient: ``identifier`` (at least one with ``system`` and ``value``: it is how a second
  import finds the child again), ``name`` (the official one, else the first: ``family`` and
  ``given``), ``birthDate``, the preferred ``communication.language``,
  ``managingOrganization`` (an Organization of the bundle, or an identifier, with hipcare's
  site-id system; else the default site given), and hipcare's gestation extension.
- Observation: ``code`` from hipcare's measures CodeSystem (migration percentage,
  acetabular index, head-shaft and neck-shaft angles; GMFCS level), ``status`` final,
  amended or corrected, ``identifier``, ``subject`` (a Patient of the bundle, or an
  identifier of a child hipcare knows), ``effectiveDateTime`` (its calendar date, as
  written), ``bodySite`` (SNOMED CT right or left hip region), ``valueQuantity`` in UCUM
  ``%`` or ``deg`` (the GMFCS level: ``valueCodeableConcept`` from the GMFCS CodeSystem).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.exchange import ContactCandidate, MeasureCandidate, PatientCandidate, Rejection
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.radiograph import Side
from hipcare.interop.fhir import codes

__all__ = ["BundleContents", "Skipped", "read_bundle"]

_DATE_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})(T.*)?$")
_ACCEPTED_STATUS = frozenset({"final", "amended", "corrected"})
_MEASURE_BY_CODE = {measure.code: kind.value for kind, measure in codes.MEASURES.items()}
_UNIT_BY_FIELD = {kind.value: measure.unit_code for kind, measure in codes.MEASURES.items()}
_SIDE_BY_SNOMED = {code: Side(side) for side, (code, _) in codes.HIP_BODY_SITES.items()}


@dataclass(frozen=True)
class Skipped:
    """A resource of a type hipcare does not import (kept out of the records, not an error)."""

    index: int
    resource_type: str


@dataclass(frozen=True)
class BundleContents:
    """What :func:`read_bundle` found: candidates to store, rejected and skipped resources."""

    patients: list[PatientCandidate] = field(default_factory=list)
    contacts: list[ContactCandidate] = field(default_factory=list)
    measures: list[MeasureCandidate] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


class _RefusedError(Exception):
    """One resource cannot be read; ``reason`` says why (the path of the element first)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _RefusedError(f"{path}: must be a JSON object")
    return value


def _list(value: object, path: str) -> Sequence[Any]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _RefusedError(f"{path}: must be a JSON array")
    return value


def _text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _RefusedError(f"{path}: must be non-empty text")
    return value


def _codings(concept: object, path: str) -> list[tuple[str, str]]:
    if concept is None:
        return []
    found = []
    for position, item in enumerate(_list(_object(concept, path).get("coding"), f"{path}.coding")):
        coding = _object(item, f"{path}.coding[{position}]")
        system, code = coding.get("system"), coding.get("code")
        if isinstance(system, str) and isinstance(code, str):
            found.append((system, code))
    return found


def _identifiers(resource: Mapping[str, Any], path: str) -> tuple[tuple[str, str], ...]:
    found = []
    for position, item in enumerate(_list(resource.get("identifier"), f"{path}.identifier")):
        identifier = _object(item, f"{path}.identifier[{position}]")
        system, value = identifier.get("system"), identifier.get("value")
        if isinstance(system, str) and system.strip() and isinstance(value, str) and value.strip():
            found.append((system.strip(), value.strip()))
    return tuple(found)


class _Bundle:
    """The entries of one bundle and a way to resolve references between them."""

    def __init__(self, document: object) -> None:
        if not isinstance(document, Mapping) or document.get("resourceType") != "Bundle":
            raise InvalidInputError("bundle", 'must be a FHIR Bundle ({"resourceType": "Bundle"})')
        entries = document.get("entry", [])
        if not isinstance(entries, list):
            raise InvalidInputError("bundle.entry", "must be a JSON array of entries")
        self.resources: list[Mapping[str, Any] | None] = []
        self.by_address: dict[str, int] = {}
        for index, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, Mapping) else None
            if not isinstance(resource, Mapping) or not isinstance(
                resource.get("resourceType"), str
            ):
                self.resources.append(None)
                continue
            self.resources.append(resource)
            full_url = entry.get("fullUrl")
            if isinstance(full_url, str):
                self.by_address[full_url] = index
            if isinstance(resource.get("id"), str):
                self.by_address[f"{resource['resourceType']}/{resource['id']}"] = index

    def resolve(self, reference: object, resource_type: str, path: str) -> int | None:
        """The index of the entry a reference points at, if it is in this bundle."""
        if reference is None:
            return None
        target = _object(reference, path).get("reference")
        if target is None:
            return None
        if not isinstance(target, str):
            raise _RefusedError(f"{path}.reference: must be text")
        index = self.by_address.get(target)
        if index is None:
            for address, candidate in self.by_address.items():
                if address.endswith(f"/{target}"):
                    index = candidate
                    break
        if index is None:
            return None
        resource = self.resources[index]
        if resource is None or resource.get("resourceType") != resource_type:
            raise _RefusedError(f"{path}: points at entry {index}, which is not a {resource_type}")
        return index


MAX_NESTING_DEPTH = 64
"""Deepest nesting of JSON objects and arrays a bundle may have (a FHIR bundle of Patients
and Observations needs about 12; far deeper is a damaged or hostile file)."""


def _refuse_deep(document: object) -> None:
    """Refuse a document nested deeper than :data:`MAX_NESTING_DEPTH`, without recursion."""
    pending: list[tuple[object, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, Mapping):
            children: list[object] = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_NESTING_DEPTH:
            raise InvalidInputError(
                "bundle",
                f"is nested more than {MAX_NESTING_DEPTH} levels deep; no FHIR bundle hipcare "
                "reads is; is the file damaged?",
            )
        pending.extend((child, depth + 1) for child in children)


def read_bundle(
    document: object,
    *,
    default_site: str | None = None,
    local: codes.LocalIdentifiers = codes.DEFAULT_IDENTIFIERS,
) -> BundleContents:
    """Read every entry of a Bundle; see the module docstring for what is read.

    A Patient's site is the value of an identifier in ``local``'s site-id system (this
    installation's): another installation's site ids name its own sites, not ours."""
    _refuse_deep(document)
    bundle = _Bundle(document)
    contents = BundleContents()
    gmfcs: dict[int, tuple[GMFCS, int]] = {}
    patient_indexes = [
        index
        for index, resource in enumerate(bundle.resources)
        if resource is not None and resource["resourceType"] == "Patient"
    ]
    for index, resource in enumerate(bundle.resources):
        if resource is None:
            contents.rejected.append(Rejection(index, "?", "entry has no resource"))
            continue
        kind = resource["resourceType"]
        try:
            if kind == "Observation":
                read = _observation(bundle, index, resource)
                if isinstance(read, MeasureCandidate):
                    contents.measures.append(read)
                else:
                    if read[0] in gmfcs:
                        raise _RefusedError("subject: already has a GMFCS level in this bundle")
                    gmfcs[read[0]] = (read[1], index)
            elif kind == "RelatedPerson":
                contents.contacts.append(_related_person(bundle, index, resource))
            elif kind != "Patient":
                contents.skipped.append(Skipped(index, kind))
        except _RefusedError as refused:
            contents.rejected.append(Rejection(index, kind, refused.reason))
    for index in patient_indexes:
        resource = bundle.resources[index]
        assert resource is not None  # noqa: S101 -- patient_indexes holds resources only
        try:
            found = gmfcs.get(index)
            gmfcs_level = found[0] if found else None
            gmfcs_index = found[1] if found else None
            contents.patients.append(
                PatientCandidate(
                    index=index,
                    identifiers=_identifiers(resource, "Patient"),
                    form=_patient_form(bundle, resource, default_site, local),
                    gmfcs=gmfcs_level,
                    gmfcs_index=gmfcs_index,
                    resource_id=_resource_id(resource),
                )
            )
        except _RefusedError as refused:
            contents.rejected.append(Rejection(index, "Patient", refused.reason))
            if index in gmfcs:
                contents.rejected.append(
                    Rejection(gmfcs[index][1], "Observation", "its Patient was rejected")
                )
    accepted = {candidate.index for candidate in contents.patients}
    for contact in list(contents.contacts):
        if contact.patient_index not in accepted:
            contents.contacts.remove(contact)
            contents.rejected.append(
                Rejection(contact.index, "RelatedPerson", "its Patient was rejected")
            )
    for measure in list(contents.measures):
        if measure.patient_index is not None and measure.patient_index not in accepted:
            contents.measures.remove(measure)
            contents.rejected.append(
                Rejection(measure.index, "Observation", "its Patient was rejected")
            )
    contents.rejected.sort(key=lambda item: item.index)
    return contents


def _resource_id(resource: Mapping[str, Any]) -> str | None:
    """The resource's ``id`` as the bundle gives it (for the report), when it is text."""
    found = resource.get("id")
    return found[:64] if isinstance(found, str) else None


def _reference_identifiers(reference: object, path: str) -> tuple[tuple[str, str], ...]:
    """The logical identifier of a Reference (``reference.identifier``), if it has one."""
    identifier = _object(reference, path).get("identifier")
    return () if identifier is None else _identifiers({"identifier": [identifier]}, path)


def _site(
    bundle: _Bundle,
    resource: Mapping[str, Any],
    default_site: str | None,
    local: codes.LocalIdentifiers,
) -> str | None:
    reference = resource.get("managingOrganization")
    if reference is None:
        return default_site
    path = "managingOrganization"
    for system, value in _reference_identifiers(reference, path):
        if system == local.site:
            return value
    index = bundle.resolve(reference, "Organization", path)
    if index is not None:
        organization = bundle.resources[index]
        assert organization is not None  # noqa: S101 -- resolve() returns resources only
        for system, value in _identifiers(organization, "Organization"):
            if system == local.site:
                return value
    if default_site is not None:
        return default_site
    raise _RefusedError(
        f"{path}: names no hipcare site (an identifier with system {local.site}); "
        "give one, or import with a default site"
    )


def _patient_form(
    bundle: _Bundle,
    resource: Mapping[str, Any],
    default_site: str | None,
    local: codes.LocalIdentifiers,
) -> dict[str, Any]:
    names = [_object(item, "name[]") for item in _list(resource.get("name"), "name")]
    if not names:
        raise _RefusedError("name: is missing; hipcare needs the child's family and given names")
    name = next((item for item in names if item.get("use") == "official"), names[0])
    given = [_text(part, "name.given[]") for part in _list(name.get("given"), "name.given")]
    form: dict[str, Any] = {
        "given_name": " ".join(given),
        "family_name": name.get("family", ""),
        "date_of_birth": resource.get("birthDate"),
    }
    site = _site(bundle, resource, default_site, local)
    if site is not None:
        form["site"] = site
    communications = [
        _object(item, f"communication[{position}]")
        for position, item in enumerate(_list(resource.get("communication"), "communication"))
    ]
    # The one marked preferred, else the first: a single language is often sent without
    # ``preferred`` and is still the family's language (kept as given, never made "en").
    chosen = next((item for item in communications if item.get("preferred") is True), None)
    if chosen is None and communications:
        chosen = communications[0]
    if chosen is not None:
        for system, code in _codings(chosen.get("language"), "communication.language"):
            if system == "urn:ietf:bcp:47":
                form["preferred_language"] = code
    for item in _list(resource.get("extension"), "extension"):
        extension = _object(item, "extension[]")
        if extension.get("url") == codes.EXTENSION_GESTATION_AT_BIRTH:
            quantity = _object(extension.get("valueQuantity"), "extension.valueQuantity")
            form["gestation_weeks"] = quantity.get("value")
    return form


def _related_person(bundle: _Bundle, index: int, resource: Mapping[str, Any]) -> ContactCandidate:
    patient_index = bundle.resolve(resource.get("patient"), "Patient", "patient")
    if patient_index is None:
        raise _RefusedError("patient: must point at a Patient of this bundle")
    names = [_object(item, "name[]") for item in _list(resource.get("name"), "name")]
    if not names:
        raise _RefusedError("name: is missing")
    name = names[0]
    text = name.get("text")
    if not isinstance(text, str) or not text.strip():
        parts = [*_list(name.get("given"), "name.given"), name.get("family")]
        text = " ".join(part for part in parts if isinstance(part, str))
    relationship = ""
    for item in _list(resource.get("relationship"), "relationship"):
        concept = _object(item, "relationship[]")
        label = concept.get("text")
        if not isinstance(label, str):
            codings = _list(concept.get("coding"), "relationship.coding")
            label = next(
                (
                    coding.get("display") or coding.get("code")
                    for coding in codings
                    if isinstance(coding, Mapping)
                ),
                None,
            )
        if isinstance(label, str) and label.strip():
            relationship = label
            break
    phone = email = None
    for item in _list(resource.get("telecom"), "telecom"):
        telecom = _object(item, "telecom[]")
        if telecom.get("system") == "phone" and phone is None:
            phone = telecom.get("value")
        elif telecom.get("system") == "email" and email is None:
            email = telecom.get("value")
    return ContactCandidate(
        index=index,
        patient_index=patient_index,
        name=text,
        relationship=relationship,
        phone=phone if isinstance(phone, str) else None,
        email=email if isinstance(email, str) else None,
    )


def _number(quantity: Mapping[str, Any], path: str, unit: str) -> float:
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _RefusedError(f"{path}.value: must be a finite number")
    if quantity.get("system") != codes.UCUM or quantity.get("code") != unit:
        raise _RefusedError(
            f"{path}: must be in UCUM '{unit}' (system {codes.UCUM}, code '{unit}')"
        )
    return float(value)


def _observation(
    bundle: _Bundle, index: int, resource: Mapping[str, Any]
) -> MeasureCandidate | tuple[int, GMFCS]:
    ours = [
        code
        for system, code in _codings(resource.get("code"), "code")
        if system == codes.CODE_SYSTEM_MEASURES
    ]
    if not ours:
        raise _RefusedError(
            f"code: is not one hipcare imports (a code of {codes.CODE_SYSTEM_MEASURES})"
        )
    code = ours[0]
    status = resource.get("status")
    if status not in _ACCEPTED_STATUS:
        raise _RefusedError(
            f"status: {status!r}; hipcare imports final, amended or corrected results"
        )
    subject = resource.get("subject")
    patient_index = bundle.resolve(subject, "Patient", "subject")
    if code == codes.GMFCS_LEVEL[0]:
        if patient_index is None:
            raise _RefusedError(
                "subject: a GMFCS level is imported with its Patient in the same bundle"
            )
        levels = [
            code
            for system, code in _codings(
                resource.get("valueCodeableConcept"), "valueCodeableConcept"
            )
            if system == codes.CODE_SYSTEM_GMFCS
        ]
        try:
            return patient_index, GMFCS(levels[0])
        except (IndexError, ValueError):
            raise _RefusedError(
                f"valueCodeableConcept: must hold a level I-V from {codes.CODE_SYSTEM_GMFCS}"
            ) from None
    measure = _MEASURE_BY_CODE.get(code)
    if measure is None:
        raise _RefusedError(f"code: {code!r} is not a measure hipcare imports")
    identifiers = _identifiers(resource, "Observation")
    if not identifiers:
        raise _RefusedError(
            "identifier: is missing; a measure needs one so a second import updates it"
        )
    patient_identifier = None
    if patient_index is None:
        if subject is not None:
            found = _reference_identifiers(subject, "subject")
            patient_identifier = found[0] if found else None
        if patient_identifier is None:
            raise _RefusedError(
                "subject: must point at a Patient of this bundle or carry the child's identifier"
            )
    effective = resource.get("effectiveDateTime")
    matched = _DATE_PREFIX.match(effective) if isinstance(effective, str) else None
    if matched is None:
        raise _RefusedError("effectiveDateTime: is missing or not a date (YYYY-MM-DD...)")
    try:
        visit_date = date.fromisoformat(matched.group(1))
    except ValueError:
        raise _RefusedError(f"effectiveDateTime: {effective!r} is not a real date") from None
    sides = [
        _SIDE_BY_SNOMED[code]
        for system, code in _codings(resource.get("bodySite"), "bodySite")
        if system == codes.SNOMED and code in _SIDE_BY_SNOMED
    ]
    if len(set(sides)) != 1:
        right, left = codes.HIP_BODY_SITES["right"][0], codes.HIP_BODY_SITES["left"][0]
        raise _RefusedError(
            f"bodySite: must name one hip: SNOMED CT {right} (right) or {left} (left)"
        )
    unit = _UNIT_BY_FIELD[measure]
    value = _number(_object(resource.get("valueQuantity"), "valueQuantity"), "valueQuantity", unit)
    raw = None
    for position, item in enumerate(_list(resource.get("component"), "component")):
        component = _object(item, f"component[{position}]")
        component_codes = _codings(component.get("code"), f"component[{position}].code")
        if (codes.CODE_SYSTEM_MEASURES, codes.MIGRATION_PERCENTAGE_RAW[0]) in component_codes:
            raw = _number(
                _object(component.get("valueQuantity"), f"component[{position}].valueQuantity"),
                f"component[{position}].valueQuantity",
                unit,
            )
    return MeasureCandidate(
        index=index,
        identifier=identifiers[0],
        visit_date=visit_date,
        side=sides[0],
        measure=measure,
        value=value,
        raw=raw,
        patient_index=patient_index,
        patient_identifier=patient_identifier,
    )
