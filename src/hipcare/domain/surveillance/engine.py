"""The surveillance engine: one child's history and the rules -> next review and actions.

Every step is tied to the rule that produced it (``hipcare/content/surveillance.toml``); a
child whom no rule covers still gets a dated review that the clinician is asked to set
(``default-review``): ``next_review`` is empty only after discharge or from the 20th
birthday. Pure: standard library only; ``today`` is always handed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.surveillance.calendar import add_months, months_between
from hipcare.domain.surveillance.child import AgeReference, SurveillanceInput, Visit
from hipcare.domain.surveillance.findings import (
    PlanBuilder,
    examination_actions,
    failure_actions,
    format_percent,
    operations_on,
    threshold_actions,
)
from hipcare.domain.surveillance.plan import (
    ActionCode,
    ReviewKind,
    ScheduledReview,
    SurveillancePlan,
)
from hipcare.domain.surveillance.rules import (
    LOCAL_PROTOCOL_FLAG,
    RuleKind,
    SurveillanceRule,
    SurveillanceRules,
)
from hipcare.domain.surveillance.stability import SideJudgement, Stability, judge_side

__all__ = ["MELBOURNE_GRADE_BY_CLINICIAN", "plan_surveillance"]

SIDES = ("right", "left")
MELBOURNE_GRADE_BY_CLINICIAN = "to be graded by the clinician"
"""The Melbourne Cerebral Palsy Hip Classification Scale grade at skeletal maturity (Robin et
al., Dev Med Child Neurol 2009): its published criteria were not verified, so hipcare does
not grade it."""


def _review_text(review: ScheduledReview, label: str) -> str:
    what = (
        "clinical assessment and AP pelvis X-ray"
        if review.xray
        else "clinical assessment (no X-ray needed)"
    )
    if review.due_from == review.due_by:
        when = f"due {review.due_from.isoformat()}"
    else:
        when = f"due from {review.due_from.isoformat()} to {review.due_by.isoformat()}"
    return f"{label}: {what}, {when}."


@dataclass(frozen=True)
class _Context:
    """Facts about the child computed once and copied into the plan."""

    today: date
    age_months: int
    corrected_age_months: int | None
    judgements: tuple[SideJudgement, ...]
    melbourne_grade: str | None = None
    examination: dict[str, object] | None = None


def _finish(
    builder: PlanBuilder,
    review: ScheduledReview | None,
    context: _Context,
    *,
    discharged: bool = False,
    outside: bool = False,
) -> SurveillancePlan:
    return SurveillancePlan(
        today=context.today,
        review=review,
        actions=tuple(builder.actions),
        rule_ids=tuple(builder.rule_ids),
        age_months=context.age_months,
        corrected_age_months=context.corrected_age_months,
        judgements=context.judgements,
        discharged=discharged,
        outside_guideline=outside,
        notes=tuple(builder.notes),
        melbourne_grade=context.melbourne_grade,
        examination=context.examination,
    )


def _schedule(
    builder: PlanBuilder,
    review: ScheduledReview,
    rule: SurveillanceRule,
    today: date,
    label: str,
) -> None:
    builder.use(rule)
    if review.is_overdue(today):
        code = (
            ActionCode.INITIAL_REVIEW_OVERDUE
            if review.kind is ReviewKind.INITIAL
            else ActionCode.REVIEW_OVERDUE
        )
        builder.act(code, _review_text(review, f"{label} is overdue, book it now"), rule)
    else:
        builder.act(ActionCode.SCHEDULE_REVIEW, _review_text(review, label), rule)


def _clinician_sets_review(
    builder: PlanBuilder,
    why: str,
    rule: SurveillanceRule | None,
    context: _Context,
    rules: SurveillanceRules,
    after: date,
    *,
    confirm_gmfcs: bool = False,
) -> SurveillancePlan:
    """No shipped rule gives the next review: say why and date one by the default rule."""
    builder.act(ActionCode.OUTSIDE_GUIDELINE, why, rule)
    default = rules.single(RuleKind.DEFAULT_REVIEW)
    due = add_months(after, default.interval_months or 0)
    review = ScheduledReview(default.id, ReviewKind.DEFAULT, due, due, bool(default.xray))
    text = _review_text(
        review,
        f"The clinician sets the next review; until then it is dated "
        f"{default.interval_months} months after {after.isoformat()}",
    )
    builder.act(ActionCode.CLINICIAN_TO_SET_NEXT_REVIEW, text, default)
    if review.is_overdue(context.today):
        builder.act(
            ActionCode.REVIEW_OVERDUE,
            _review_text(review, "This review is overdue, book it now"),
            default,
        )
    if confirm_gmfcs:
        builder.act(
            ActionCode.CONFIRM_GMFCS,
            "GMFCS level is not recorded: classify it at the next review; the schedule "
            "depends on it.",
            default,
        )
    return _finish(builder, review, context, outside=True)


def _shown_stable_for(
    months: int, films: Sequence[Visit], rules: SurveillanceRules, judged_from: dict[str, date]
) -> bool:
    """Films span at least ``months`` and every film in the last ``months`` was stable."""
    measured = [film for film in films if any(film.migration(side) is not None for side in SIDES)]
    if not measured or measured[-1].date < add_months(measured[0].date, months):
        return False
    since = add_months(measured[-1].date, -months)
    for index, film in enumerate(measured):
        if film.date < since:
            continue
        for side in SIDES:
            judgement = judge_side(
                side, measured[: index + 1], rules, judged_from=judged_from.get(side)
            )
            if judgement.abnormal or judgement.stability.rising:
                return False
    return True


def _rising_review(
    judgements: Sequence[SideJudgement], rules: SurveillanceRules, after: date
) -> tuple[SurveillanceRule, ScheduledReview] | None:
    """The repeat film for an unstable or possibly unstable hip, dated from ``after`` (the
    latest visit: a clinic visit without a film after it restarts the interval)."""
    if not any(j.stability.rising for j in judgements):
        return None
    rule = rules.single(RuleKind.INTERVAL_WHILE_RISING)
    due = add_months(after, rule.interval_months or 0)
    return rule, ScheduledReview(rule.id, ReviewKind.INTERVAL, due, due, bool(rule.xray))


def plan_surveillance(child: SurveillanceInput, rules: SurveillanceRules) -> SurveillancePlan:
    """The next hip surveillance review for ``child`` and what to do, by the shipped rules.

    Steps, each tied to the rule that produced it (``surveillance.toml``): from the 20th
    birthday no rule applies (no date); no X-ray yet -> the initial review (12-24 months of
    corrected age, or now if older); at skeletal maturity -> discharge, unless an MP is 30% or
    more, unmeasured, or the pelvic obliquity is over 5 degrees (then a dated review); WGH type
    IV or an unknown GMFCS level -> a dated review the clinician sets; an operated child is
    never discharged before maturity (12-monthly, 6-monthly while IV-V hips are not stable);
    otherwise the level's discharge, first follow-up, interval or age review. An unstable or
    possibly unstable hip brings the next film within 6 months at every level.
    """
    builder = PlanBuilder()
    today = child.today
    ages = AgeReference.for_child(child, rules.single(RuleKind.CORRECTION))
    visits = tuple(sorted(child.visits, key=lambda visit: visit.date))
    films = tuple(visit for visit in visits if visit.xray)
    surgeries = tuple(sorted(child.hip_surgery, key=lambda surgery: surgery.date))
    after_surgery = rules.single(RuleKind.INTERVAL_AFTER_SURGERY)
    judged_from = {
        side: operations[-1].date + timedelta(weeks=after_surgery.films_from_weeks_after or 0)
        for side in SIDES
        if (operations := operations_on(surgeries, side))
    }
    judgements = tuple(
        judge_side(side, films, rules, judged_from=judged_from.get(side)) for side in SIDES
    )
    mature = child.skeletally_mature
    examined = [visit for visit in visits if visit.examination()]
    context = _Context(
        today=today,
        age_months=months_between(child.date_of_birth, today),
        corrected_age_months=ages.age_months(today) if ages.uses_correction_on(today) else None,
        judgements=judgements,
        melbourne_grade=MELBOURNE_GRADE_BY_CLINICIAN if mature else None,
        examination=(
            {"date": examined[-1].date.isoformat(), **examined[-1].examination()}
            if examined
            else None
        ),
    )
    if ages.corrected:
        correction = rules.single(RuleKind.CORRECTION)
        builder.use(correction)
        note = (
            f"Born at {child.gestation_weeks:g} weeks: ages before "
            f"{ages.correction_ends.isoformat()} are corrected by {ages.correction_days} days."
        )
        if correction.is_local_protocol:
            note = f"{note} ({LOCAL_PROTOCOL_FLAG})"
        builder.notes.append(note)
    if judged_from:
        builder.use(after_surgery)
        builder.notes.append(
            "Operated hip(s): stability is judged from films taken at least "
            f"{after_surgery.films_from_weeks_after} weeks after the latest operation ("
            + ", ".join(f"{side} from {day.isoformat()}" for side, day in judged_from.items())
            + ")."
        )
    if examined:
        builder.notes.append(
            f"Examination on {examined[-1].date.isoformat()}: "
            f"{_examination_words(examined[-1])}. Hip pain and passive abduction feed the "
            "referral rule; pelvic obliquity is used at skeletal maturity; scoliosis and "
            "windswept posture are recorded for the clinician (no shipped rule uses them)."
        )
    threshold_actions(builder, judgements, rules)
    examination_actions(builder, examined[-1] if examined else None, rules)
    failure_actions(builder, surgeries, judgements, rules)

    age_limit = rules.single(RuleKind.AGE_LIMIT)
    limit_date = add_months(child.date_of_birth, age_limit.limit_age_months or 0)
    if today >= limit_date:
        builder.act(
            ActionCode.OUTSIDE_GUIDELINE,
            f"Outside the surveillance rules: the child is {context.age_months // 12} years old "
            f"and the rules cover children up to {(age_limit.limit_age_months or 0) // 12 - 1} "
            "years; follow-up is a clinical decision.",
            age_limit,
        )
        return _finish(builder, None, context, outside=True)

    initial = rules.single(RuleKind.INITIAL_REVIEW)
    if not films:
        review = ScheduledReview(
            rule_id=initial.id,
            kind=ReviewKind.INITIAL,
            due_from=ages.date_at_age(initial.window_from_age_months or 0),
            due_by=ages.date_at_age(initial.window_to_age_months or 0),
            xray=bool(initial.xray),
        )
        _schedule(builder, review, initial, today, "Initial hip surveillance review")
        if child.gmfcs is None:
            builder.act(
                ActionCode.CONFIRM_GMFCS,
                "GMFCS level is not recorded: classify it at this review; every later review "
                "depends on it.",
                initial,
            )
        return _finish(builder, review, context)

    last_visit = visits[-1]
    last_event = max([last_visit.date, *(surgery.date for surgery in surgeries)])
    if mature:
        return _at_maturity(builder, child, visits, judgements, rules, context, last_event)
    if child.winters_gage_hicks_type_iv:
        return _clinician_sets_review(
            builder,
            "Outside the shipped rules: Winters-Gage-Hicks type IV hemiplegia has its own "
            "surveillance pathway, which hipcare does not hold.",
            rules.single(RuleKind.WGH_TYPE_IV),
            context,
            rules,
            last_event,
        )
    level = child.gmfcs
    if level is None:
        return _clinician_sets_review(
            builder,
            "Outside the rules: the GMFCS level is not recorded, and after the initial review "
            "the schedule depends on it.",
            None,
            context,
            rules,
            last_event,
            confirm_gmfcs=True,
        )
    return _by_level(
        builder, child, level, visits, films, judgements, judged_from, rules, context, ages
    )


def _at_maturity(
    builder: PlanBuilder,
    child: SurveillanceInput,
    visits: Sequence[Visit],
    judgements: Sequence[SideJudgement],
    rules: SurveillanceRules,
    context: _Context,
    last_event: date,
) -> SurveillancePlan:
    maturity = rules.single(RuleKind.SKELETAL_MATURITY)
    carry_on = rules.single(RuleKind.CONTINUE_AFTER_MATURITY)
    obliquities = [v.pelvic_obliquity_deg for v in visits if v.pelvic_obliquity_deg is not None]
    obliquity = obliquities[-1] if obliquities else None
    reasons = [
        f"{j.side} MP {format_percent(j.latest_percent)}"
        for j in judgements
        if j.latest_percent is not None and j.latest_percent >= (carry_on.threshold_percent or 0)
    ]
    reasons += [f"{j.side} hip not measured" for j in judgements if j.latest_percent is None]
    if obliquity is not None and obliquity > (carry_on.pelvic_obliquity_over_deg or 0):
        reasons.append(f"pelvic obliquity {obliquity:g} degrees")
    builder.notes.append(
        "Skeletal maturity: Melbourne Cerebral Palsy Hip Classification Scale grade "
        f"{MELBOURNE_GRADE_BY_CLINICIAN}."
    )
    if reasons:
        builder.use(maturity)
        return _clinician_sets_review(
            builder,
            "Skeletal maturity is reached but surveillance goes on ("
            + ", ".join(reasons)
            + "): hips can still progress after triradiate cartilage closure; no shipped rule "
            "gives the interval.",
            carry_on,
            context,
            rules,
            last_event,
        )
    rising = _rising_review(judgements, rules, last_event)
    if rising is not None:
        rule, review = rising
        _schedule(builder, review, rule, context.today, "Repeat the film: a hip is rising")
        return _finish(builder, review, context)
    builder.use(carry_on)
    builder.act(
        ActionCode.DISCHARGE,
        "Discharge from hip surveillance: skeletal maturity is reached with every migration "
        f"percentage under {format_percent(carry_on.threshold_percent or 0)}"
        + ("" if obliquity is None else " and a level pelvis")
        + "; grade the hips by the Melbourne scale and confirm there are no other signs.",
        maturity,
    )
    return _finish(builder, None, context, discharged=True)


def _by_level(
    builder: PlanBuilder,
    child: SurveillanceInput,
    level: GMFCS,
    visits: Sequence[Visit],
    films: Sequence[Visit],
    judgements: Sequence[SideJudgement],
    judged_from: dict[str, date],
    rules: SurveillanceRules,
    context: _Context,
    ages: AgeReference,
) -> SurveillancePlan:
    today = context.today
    abnormal = rules.single(RuleKind.ABNORMAL_THRESHOLD)
    instability = rules.single(RuleKind.INSTABILITY)
    last_visit = visits[-1]
    first_film = films[0]
    stable = all(j.stability is Stability.STABLE and not j.abnormal for j in judgements)
    surgeries = child.hip_surgery
    last_event = max([last_visit.date, *(surgery.date for surgery in surgeries)])
    rising = _rising_review(judgements, rules, last_event)

    def with_rising(
        review: ScheduledReview, rule: SurveillanceRule, label: str
    ) -> SurveillancePlan:
        if rising is not None and rising[1].due_by < review.due_by:
            rule, review = rising
            label = "Repeat the film within 6 months: a hip is unstable or possibly unstable"
        _schedule(builder, review, rule, today, label)
        return _finish(builder, review, context)

    def interval_review(rule: SurveillanceRule, after: date, label: str) -> SurveillancePlan:
        due = add_months(after, rule.interval_months or 0)
        review = ScheduledReview(rule.id, ReviewKind.INTERVAL, due, due, bool(rule.xray))
        return with_rising(review, rule, label)

    unsettled = rules.of_kind(RuleKind.INTERVAL_WHILE_UNSETTLED, level)
    if surgeries:
        builder.use(abnormal)
        builder.use(instability)
        after_surgery = rules.single(RuleKind.INTERVAL_AFTER_SURGERY)
        # The level's own interval while unsettled wins when it is the more frequent one
        # (GMFCS IV-V: 6-monthly).
        if (
            not stable
            and unsettled
            and (unsettled[0].interval_months or 0) < (after_surgery.interval_months or 0)
        ):
            rule = unsettled[0]
            return interval_review(
                rule,
                last_event,
                f"Review every {rule.interval_months} months while the migration percentage "
                "is not shown stable (operated child)",
            )
        return interval_review(
            after_surgery,
            last_event,
            f"After hip surgery: review every {after_surgery.interval_months} months until "
            "skeletal maturity (no discharge before it)",
        )

    def review_done(rule: SurveillanceRule) -> bool:
        start = ages.date_at_age(rule.window_from_age_months or 0)
        return any(visit.date >= start and (visit.xray or not rule.xray) for visit in visits)

    for discharge in rules.of_kind(RuleKind.DISCHARGE, level):
        milestone = rules.by_id(discharge.after_review or "")
        if milestone is None or not review_done(milestone):
            continue
        if discharge.requires_stable:
            builder.use(abnormal)
            builder.use(instability)
            if not stable:
                continue
        if builder.has(ActionCode.REFER_ORTHOPAEDIC) or rising is not None:
            # A hip at or over the referral threshold is the orthopaedic team's to follow;
            # a rising hip needs its repeat film first.
            continue
        builder.use(milestone)
        builder.act(
            ActionCode.DISCHARGE,
            f"Discharge from hip surveillance (GMFCS {level.value}): the review at "
            f"{_age_words(milestone)} is done"
            + (" and the migration percentage is stable" if discharge.requires_stable else "")
            + "; confirm the GMFCS level and that there are no other significant signs.",
            discharge,
        )
        return _finish(builder, None, context, discharged=True)

    follow_ups = rules.of_kind(RuleKind.FIRST_FOLLOW_UP, level)
    if follow_ups and all(visit.date <= first_film.date for visit in visits):
        rule = follow_ups[0]
        return interval_review(
            rule, first_film.date, f"Follow-up review {rule.interval_months} months after the first"
        )

    stable_rules = rules.of_kind(RuleKind.INTERVAL_WHILE_STABLE, level)
    shown_stable = stable and all(
        _shown_stable_for(rule.after_stable_films_months, films, rules, judged_from)
        for rule in stable_rules
        if rule.after_stable_films_months is not None
    )
    if unsettled:
        builder.use(abnormal)
        builder.use(instability)
        if not shown_stable:
            rule = unsettled[0]
            return interval_review(
                rule,
                last_visit.date,
                f"Review every {rule.interval_months} months while the migration percentage "
                "is not shown stable",
            )

    for rule in stable_rules:
        starts = (
            ages.date_at_age(rule.from_age_months) if rule.from_age_months is not None else None
        )
        ends = ages.date_at_age(rule.to_age_months) if rule.to_age_months is not None else None
        if (starts is None or last_visit.date >= starts) and (
            ends is None or last_visit.date < ends
        ):
            builder.use(abnormal)
            builder.use(instability)
            return interval_review(
                rule,
                last_visit.date,
                f"Review every {rule.interval_months} months while the migration percentage "
                "is stable",
            )

    for rule in sorted(
        rules.of_kind(RuleKind.AGE_REVIEW, level),
        key=lambda item: item.window_from_age_months or 0,
    ):
        if review_done(rule):
            continue
        review = ScheduledReview(
            rule_id=rule.id,
            kind=ReviewKind.AGE,
            due_from=ages.date_at_age(rule.window_from_age_months or 0),
            due_by=ages.date_at_age(rule.window_before_age_months or 0) - timedelta(days=1),
            xray=bool(rule.xray),
        )
        return with_rising(review, rule, f"Review at {_age_words(rule)}")

    if rising is not None:
        rule, review = rising
        _schedule(builder, review, rule, today, "Repeat the film within 6 months")
        return _finish(builder, review, context)
    referral = (
        " A referral is due: the orthopaedic team sets the follow-up."
        if builder.has(ActionCode.REFER_ORTHOPAEDIC)
        else ""
    )
    return _clinician_sets_review(
        builder,
        f"Outside the shipped rules: none says when to review a GMFCS {level.value} child "
        f"after the reviews already done; the clinical lead decides.{referral}",
        None,
        context,
        rules,
        last_visit.date,
    )


def _examination_words(visit: Visit) -> str:
    words = []
    for name in ("hip_pain", "scoliosis", "windswept_posture"):
        flag = getattr(visit, name)
        if flag is not None:
            words.append(f"{name.replace('_', ' ')} {'yes' if flag else 'no'}")
    if visit.pelvic_obliquity_deg is not None:
        words.append(f"pelvic obliquity {visit.pelvic_obliquity_deg:g} degrees")
    if visit.passive_abduction_deg is not None:
        words += [
            f"passive abduction {side} {value:g} degrees"
            for side, value in visit.passive_abduction_deg.sides()
            if value is not None
        ]
    return ", ".join(words)


def _age_words(rule: SurveillanceRule) -> str:
    """The age a review is worded at: "3 years", "4-5 years", "8-10 years" of age."""
    start = rule.window_from_age_months or 0
    before = rule.window_before_age_months or 0
    if start % 12 == 0 and before % 12 == 0:
        first, last = start // 12, before // 12 - 1
        return f"{first} years of age" if first == last else f"{first}-{last} years of age"
    return f"{start}-{before - 1} months of age"
