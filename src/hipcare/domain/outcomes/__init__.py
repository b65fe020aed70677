"""What happened after each operation, and the numbers a site reports about its hips.

Per operation (:class:`OperationOutcome`): the stay (admission and discharge dates give the
length of stay in days), complications graded by the modified Clavien-Dindo-Sink
classification for paediatric orthopaedic surgery (Dodwell et al., JBJS Open Access
2018;3(4):e0020; the grades are data in ``content/outcomes.toml``), readmission within 30
days of discharge, unplanned return to theatre, re-operation on an operated hip, the date
the plate came out. The migration percentage (MP) of each operated hip before surgery and
at about 1 and 2 years comes from the child's films (:class:`HipFilm`).

**Hip failure** is an MP above 50% on a film after the operation, or a re-operation on that
hip, whichever comes first (hipcare clinical specification §4: "failure (reoperation or MP >
50%) 37% over 8.3 years"). A hip that has not failed is censored at its last film after the
operation; :func:`hip_survival_records` gives one record per operated hip for a
Kaplan-Meier estimate, which is not computed here (the services hand it to a survival
library).

The site report (:func:`site_summary`): operations by procedure group (VDRO alone or with a
pelvic osteotomy), length of stay median and quartiles, complications by grade,
readmissions, MP before and after per hip, surveillance coverage as the Swedish CPUP reports
it (the share of children at GMFCS III-V with a hip film in the last 12 months, by level) and
the children whose hip reached MP > 40%, by level.

Pure: standard library only; ``today`` is handed in.
"""

from hipcare.domain.outcomes.operation import (
    COVERAGE_LEVELS,
    Complication,
    ComplicationGrade,
    HipFilm,
    HipOutcome,
    HipSurvivalRecord,
    OperationOutcome,
    OutcomeChild,
    OutcomeThresholds,
    ProcedureGroup,
    Reoperation,
    age_in_months,
    has_film_within,
    hip_outcomes,
    hip_survival_records,
    reached_migration_percentage,
)
from hipcare.domain.outcomes.site import (
    CoverageRow,
    Quartiles,
    SiteRecords,
    SiteSummary,
    quartiles,
    site_summary,
)

__all__ = [
    "COVERAGE_LEVELS",
    "Complication",
    "ComplicationGrade",
    "CoverageRow",
    "HipFilm",
    "HipOutcome",
    "HipSurvivalRecord",
    "OperationOutcome",
    "OutcomeChild",
    "OutcomeThresholds",
    "ProcedureGroup",
    "Quartiles",
    "Reoperation",
    "SiteRecords",
    "SiteSummary",
    "age_in_months",
    "has_film_within",
    "hip_outcomes",
    "hip_survival_records",
    "quartiles",
    "reached_migration_percentage",
    "site_summary",
]
