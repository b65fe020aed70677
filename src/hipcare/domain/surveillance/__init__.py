"""Hip surveillance for children with cerebral palsy: guideline rules -> next review and actions.

The rules are data (``hipcare/content/surveillance.toml``, each with its source, section and
status); this package only knows what each *kind* of rule means. Sources: the Australian Hip
Surveillance Guidelines for Children with Cerebral Palsy (Wynter et al., AusACPDM 2014; the
2014 standard, superseded by the 2020 AusACPDM guideline), the AACPDM Care Pathway: Hip
Surveillance in Cerebral Palsy (2017), Parrott et al. 2002 (change error) and Wagner &
Hägglund 2021 (migration velocity); see ``docs/clinical/surveillance.md`` for what was verified
and what is local protocol.

Modules: ``calendar`` (whole months), ``rules`` (rules as values), ``child`` (the input),
``stability`` (instability as a rate), ``plan`` (the answer), ``engine`` (the schedule).
Pure: standard library only; ``today`` is always handed in.
"""

from hipcare.domain.surveillance.calendar import add_months, months_between
from hipcare.domain.surveillance.child import (
    AgeReference,
    HipPair,
    HipProcedure,
    HipSurgery,
    SurgerySide,
    SurveillanceInput,
    Visit,
)
from hipcare.domain.surveillance.engine import MELBOURNE_GRADE_BY_CLINICIAN, plan_surveillance
from hipcare.domain.surveillance.plan import (
    Action,
    ActionCode,
    ReviewKind,
    ScheduledReview,
    SurveillancePlan,
    WorklistStatus,
    worklist_status,
)
from hipcare.domain.surveillance.rules import (
    LOCAL_PROTOCOL_FLAG,
    Citation,
    RuleKind,
    RuleStatus,
    SurveillanceRule,
    SurveillanceRules,
)
from hipcare.domain.surveillance.stability import SideJudgement, Stability, judge_side

__all__ = [
    "LOCAL_PROTOCOL_FLAG",
    "MELBOURNE_GRADE_BY_CLINICIAN",
    "Action",
    "ActionCode",
    "AgeReference",
    "Citation",
    "HipPair",
    "HipProcedure",
    "HipSurgery",
    "ReviewKind",
    "RuleKind",
    "RuleStatus",
    "ScheduledReview",
    "SideJudgement",
    "Stability",
    "SurgerySide",
    "SurveillanceInput",
    "SurveillancePlan",
    "SurveillanceRule",
    "SurveillanceRules",
    "Visit",
    "WorklistStatus",
    "add_months",
    "judge_side",
    "months_between",
    "plan_surveillance",
    "worklist_status",
]
