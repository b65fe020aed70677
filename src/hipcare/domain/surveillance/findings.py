"""What the latest films say, as actions: instability, referral, surgery, post-operative failure.

Each action is tied to the rule behind it (``hipcare/content/surveillance.toml``); an action
built on a local-protocol rule says it is to be confirmed by the clinical lead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hipcare.domain.surveillance.child import HipSurgery, Visit
from hipcare.domain.surveillance.plan import Action, ActionCode
from hipcare.domain.surveillance.rules import (
    LOCAL_PROTOCOL_FLAG,
    RuleKind,
    SurveillanceRule,
    SurveillanceRules,
)
from hipcare.domain.surveillance.stability import SideJudgement, Stability

__all__ = [
    "PlanBuilder",
    "examination_actions",
    "failure_actions",
    "format_percent",
    "operations_on",
    "threshold_actions",
]


def format_percent(value: float) -> str:
    return f"{value:g}%"


@dataclass
class PlanBuilder:
    """Collects actions and the rules they came from, in order, without duplicates."""

    actions: list[Action] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def use(self, rule: SurveillanceRule) -> None:
        if rule.id not in self.rule_ids:
            self.rule_ids.append(rule.id)

    def act(self, code: ActionCode, text: str, rule: SurveillanceRule | None) -> None:
        if rule is not None:
            self.use(rule)
            if rule.is_local_protocol:
                text = f"{text} ({LOCAL_PROTOCOL_FLAG})"
        self.actions.append(Action(code, text, None if rule is None else rule.id))

    def has(self, code: ActionCode) -> bool:
        return any(action.code is code for action in self.actions)


def _listing(sides: Sequence[SideJudgement]) -> str:
    return ", ".join(
        f"{j.side} {format_percent(j.latest_percent or 0)} "
        f"(film {j.latest_date.isoformat() if j.latest_date else '?'})"
        for j in sides
    )


def _rate_words(judgement: SideJudgement) -> str:
    compared = judgement.compared_with.isoformat() if judgement.compared_with else "?"
    return (
        f"{judgement.side} {judgement.rise_per_year:g} points a year since {compared} "
        f"(now {format_percent(judgement.latest_percent or 0)})"
    )


def threshold_actions(
    builder: PlanBuilder, judgements: Iterable[SideJudgement], rules: SurveillanceRules
) -> None:
    refer = rules.single(RuleKind.REFER_THRESHOLD)
    surgery = rules.single(RuleKind.SURGERY_THRESHOLD)
    instability = rules.single(RuleKind.INSTABILITY)
    error = rules.single(RuleKind.CHANGE_ERROR)
    acceleration = rules.single(RuleKind.ACCELERATION)
    judged = [j for j in judgements if j.latest_percent is not None]
    refer_sides = [j for j in judged if (j.latest_percent or 0) >= (refer.threshold_percent or 0)]
    surgery_sides = [
        j for j in judged if (j.latest_percent or 0) > (surgery.threshold_percent or 0)
    ]
    unstable_sides = [j for j in judged if j.stability is Stability.UNSTABLE]
    possibly_sides = [j for j in judged if j.stability is Stability.POSSIBLY_UNSTABLE]
    rate_words = (
        f"{instability.rise_percent:g} points per {instability.over_months} months, films "
        f"{instability.pair_from_months}-{instability.pair_to_months} months apart"
    )
    if unstable_sides:
        builder.act(
            ActionCode.MIGRATION_UNSTABLE,
            "Migration percentage is unstable ("
            + ", ".join(_rate_words(j) for j in unstable_sides)
            + f"): the rule is a rise of {rate_words}, and more than the "
            f"{error.change_error_points:g}-point change error of two films. "
            "Repeat the film within 6 months.",
            instability,
        )
        builder.use(error)
    if possibly_sides:
        builder.use(instability)
        builder.use(error)
        note = (
            "Possibly unstable: "
            + ", ".join(_rate_words(j) for j in possibly_sides)
            + f", but the rise is within the {error.change_error_points:g}-point change error "
            "of two films (Parrott 2002): repeat the film within 6 months."
        )
        if instability.is_local_protocol:
            note = f"{note} ({LOCAL_PROTOCOL_FLAG})"
        builder.notes.append(note)
    accelerating = [j for j in judged if j.accelerating]
    if accelerating:
        builder.use(acceleration)
        note = (
            "Migration is accelerating on the "
            + ", ".join(
                f"{j.side} hip ({format_percent(j.latest_percent or 0)})" for j in accelerating
            )
            + f": over {format_percent(acceleration.above_percent or 0)} and rising faster "
            "than in the interval before; an increasing rate of displacement in such hips "
            "calls for preventive treatment to be considered (Wagner & Hägglund 2021)."
        )
        if acceleration.is_local_protocol:
            note = f"{note} ({LOCAL_PROTOCOL_FLAG})"
        builder.notes.append(note)
    if refer_sides:
        builder.act(
            ActionCode.REFER_ORTHOPAEDIC,
            f"Refer for orthopaedic review: latest migration percentage {_listing(refer_sides)} "
            f"is at or above {format_percent(refer.threshold_percent or 0)}.",
            refer,
        )
    if surgery_sides:
        builder.act(
            ActionCode.SURGERY_USUALLY_CONSIDERED,
            f"Migration percentage {_listing(surgery_sides)} is over "
            f"{format_percent(surgery.threshold_percent or 0)}: surgery (such as a VDRO) is "
            "usually considered; the decision is the orthopaedic surgeon's.",
            surgery,
        )


def operations_on(surgeries: Sequence[HipSurgery], side: str) -> list[HipSurgery]:
    return [s for s in surgeries if s.side.covers(side) and s.procedure.operates_on_the_hip]


def failure_actions(
    builder: PlanBuilder,
    surgeries: Sequence[HipSurgery],
    judgements: Sequence[SideJudgement],
    rules: SurveillanceRules,
) -> None:
    failure = rules.single(RuleKind.POST_OPERATIVE_FAILURE)
    reasons = []
    for judgement in judgements:
        operations = operations_on(surgeries, judgement.side)
        if not operations:
            continue
        days = sorted({operation.date for operation in operations})
        if len(days) > 1:
            reasons.append(
                f"{judgement.side} hip operated again on {days[-1].isoformat()} "
                f"(first {days[0].isoformat()})"
            )
        latest = judgement.latest_percent
        if latest is not None and latest > (failure.threshold_percent or 0):
            reasons.append(
                f"{judgement.side} hip MP {format_percent(latest)} after the operation is over "
                f"{format_percent(failure.threshold_percent or 0)}"
            )
    if reasons:
        builder.act(
            ActionCode.POST_OPERATIVE_FAILURE,
            "Hip reconstruction may have failed: "
            + "; ".join(reasons)
            + ". Tell the orthopaedic surgeon.",
            failure,
        )


def examination_actions(
    builder: PlanBuilder, examined: Visit | None, rules: SurveillanceRules
) -> None:
    """Refer for orthopaedic review on the latest examination's hip pain or tight abduction.

    The AACPDM 2017 pathway examines pain and passive hip abduction at every surveillance
    visit; the limits are the ``examination-referral`` rule's (local protocol until the
    clinical lead confirms them). When the films already ask for a referral, the findings
    are added to the plan's notes instead of a second referral.
    """
    if examined is None:
        return
    rule = rules.single(RuleKind.EXAMINATION_REFERRAL)
    limit = rule.abduction_below_deg or 0
    reasons = []
    if examined.hip_pain:
        reasons.append("hip pain")
    if examined.passive_abduction_deg is not None:
        reasons += [
            f"passive abduction {side} {value:g} degrees (below {limit:g})"
            for side, value in examined.passive_abduction_deg.sides()
            if value is not None and value < limit
        ]
    if not reasons:
        return
    found = f"examination on {examined.date.isoformat()}: " + ", ".join(reasons)
    if builder.has(ActionCode.REFER_ORTHOPAEDIC):
        builder.use(rule)
        builder.notes.append(f"Also a reason to refer: {found} (rule {rule.id}).")
        return
    builder.act(
        ActionCode.REFER_ORTHOPAEDIC,
        f"Refer for orthopaedic review: {found}.",
        rule,
    )
