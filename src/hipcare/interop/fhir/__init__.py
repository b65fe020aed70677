"""FHIR R4 interoperability: hipcare's records as FHIR resources (plain JSON dicts) and back.

- :mod:`.codes`: the code systems, codes and identifier systems used, each with its source.
- :mod:`.mapping`: a child's record -> Patient, RelatedPerson, Organization, Condition,
  Observation, Procedure, CarePlan and Task resources, and a Bundle of them; the operations'
  resources are :mod:`.operation_resources`, the CarePlan and Tasks :mod:`.care_plan_resources`,
  the pieces they share :mod:`.resource_parts`.
- :mod:`.plan_definition`: the VDRO pathway as a PlanDefinition with ActivityDefinitions, and
  ``$apply``: a child's dated plan (``hipcare plan``) as a CarePlan with one Task per item.
- :mod:`.reading`: Patient and Observation resources from another system -> hipcare values,
  or the reason each one is refused.

Everything here is pure: no I/O, no clock. The JSON is built by hand (ADR 0008) and checked
in the tests with an independent validator (``fhir.resources`` R4B models and FHIRPath
invariants through ``fhirpathpy``), never with hipcare's own code.
"""
