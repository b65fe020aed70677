"""Diary alerts reach a person (issue 16): each new alert is emailed to the alert route in
force at its site when it was raised, and, while nobody acknowledges it, escalated to the next
route after its level's times; every step exactly once across server processes, sent by the
running server (``hipcare.web.alert_sender``; no cron job).

Each step (0: the route in force; 1: the after-hours / on-call address; 2: the site's
administrators; :meth:`hipcare.domain.alert_routes.AlertRoutes.chain`) goes through the same
three steps as family reminders (:mod:`hipcare.services.family.reminders`):

1. **Claim**: insert the step's ``alert_deliveries`` row ('sending'), committed on its own;
   the unique (alert id, step) lets one server process win, the others skip it.
2. **Send**: one email through SMTP.
3. **Mark sent**: committed.

**At-least-once, not exactly-once, in one window.** SMTP gives no way to send and record in
one transaction. A claim left 'sending' (the process was killed between claim and mark, the
server dropped the connection mid-DATA, or SMTP refused) is taken over after
:data:`ALERT_CLAIM_TIMEOUT` and sent again. When the first attempt had in fact been
delivered (the server took the message, then the sender died before marking it), the team
gets that step twice. Once a step is marked sent it is never sent again. A missed alert costs
more than a rare second email, so we take that trade.

Escalation stops when the alert is acknowledged: acknowledged alerts are not listed. A step
claimed just before the acknowledgement may still go out.

Only alerts raised within :data:`ALERT_LOOKBACK` are sent, so a server started after a long
stop does not email old alerts the care team has seen on the dashboard.

The email holds no patient data: no name, no diary text, no score, only a link to the
child's page (sign-in needed). Logs carry alert, step and delivery ids only.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from hipcare.domain.alert_routes import AlertEscalation, AlertRoutes, RouteStep
from hipcare.domain.records import utc_moment
from hipcare.services.alert_routes import routes_in_force
from hipcare.services.family.reminders import SmtpSettings
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.alert_outbox import AlertToSend
from hipcare.services.ports.content import Site

__all__ = [
    "ALERT_CLAIM_TIMEOUT",
    "ALERT_LOOKBACK",
    "AlertEmailReport",
    "alert_message",
    "send_alert_emails",
]

ALERT_CLAIM_TIMEOUT = timedelta(minutes=5)
"""A step's claim still 'sending' after this long was left by a stop or a refusal: retried."""

ALERT_LOOKBACK = timedelta(days=1)
"""Alerts raised longer ago than this are not emailed (the dashboard lists them)."""

Sender = Callable[[EmailMessage], None]


@dataclass(frozen=True)
class AlertEmailReport:
    pending: int
    sent: int
    skipped: int
    failed: int
    escalated: int = 0
    """Of ``sent``, how many were escalation steps (step 1 or later)."""


def alert_message(
    alert: AlertToSend, route: RouteStep, smtp: SmtpSettings, *, minutes_waiting: int = 0
) -> EmailMessage:
    """The email of one step: that a family's diary raised an alert (step 0), or that it is
    still not acknowledged (a later step), and a link. No patient data."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = route.address
    link = f"{smtp.public_url}/children/{alert.child_id}#family-diary"
    if route.step == 0:
        message["Subject"] = "hipcare: a family diary alert needs the care team"
        opening = (
            "A family wrote in their child's home diary, and hipcare raised an alert for "
            "the care team."
        )
    else:
        message["Subject"] = "hipcare: a family diary alert is not yet acknowledged"
        opening = (
            f"A family diary alert raised {minutes_waiting} minutes ago has not been "
            "acknowledged by anyone in the care team. You are the next contact on the "
            "site's alert routes."
        )
    message.set_content(
        f"{opening}\n\n"
        f"Open it (sign-in needed) and acknowledge it:\n{link}\n\n"
        "This email holds no patient details on purpose.\n",
        charset="utf-8",
    )
    return message


def _claim(uow: UnitOfWork, alert: AlertToSend, route: RouteStep, now: datetime) -> int | None:
    with uow:
        claimed = uow.alert_outbox.claim(alert.alert_id, route.step, route.address, now)
        if claimed is not None:
            uow.commit()
            return claimed
    with uow:
        claimed = uow.alert_outbox.reclaim_stale(
            alert.alert_id, route.step, now, now - ALERT_CLAIM_TIMEOUT
        )
        uow.commit()
    return claimed


def _due_steps(
    alert: AlertToSend,
    chain: tuple[RouteStep, ...],
    escalation: AlertEscalation,
    now: datetime,
) -> list[RouteStep]:
    """The steps to send now: each not yet sent whose time has come, in order, stopping at a
    step another process holds (claimed, not yet stale) or not yet due."""
    states = {delivery.step: delivery for delivery in alert.deliveries}
    due = []
    for route in chain:
        state = states.get(route.step)
        if state is not None and state.sent:
            continue
        at = escalation.due_at(alert.level, alert.raised_at, route.step)
        if at is None or now < at:
            break
        if state is not None and state.claimed_at >= now - ALERT_CLAIM_TIMEOUT:
            break  # in flight elsewhere (or just failed): its claim times out first
        due.append(route)
    return due


def send_alert_emails(
    uow: UnitOfWork,
    send: Sender,
    smtp: SmtpSettings,
    *,
    sites: Mapping[str, Site],
    escalation: AlertEscalation,
    fallback_address: str | None,
    clock: Callable[[], datetime],
    log: Callable[[str], None] | None = None,
) -> AlertEmailReport:
    """Claim, send and mark every alert step that is due (module docstring). ``sites``: the
    shipped sites (their time zones and default routes); ``fallback_address``:
    ``HIPCARE_ALERT_EMAIL``, for a site with no address for the time of the alert."""
    now = utc_moment(clock(), "now")
    with uow:
        pending = list(uow.alert_outbox.to_send(now - ALERT_LOOKBACK))
        routes: dict[str, AlertRoutes] = {}
        for site_id in {alert.site_id for alert in pending}:
            routes[site_id] = routes_in_force(uow, site_id, sites)
    sent = skipped = failed = escalated = 0
    for alert in pending:
        chain = routes[alert.site_id].chain(alert.raised_at, fallback_address)
        if not chain:  # no address for the site at that time and no fallback
            skipped += 1
            continue
        for route in _due_steps(alert, chain, escalation, now):
            delivery = _claim(uow, alert, route, clock())
            if delivery is None:
                skipped += 1
                break
            waiting = int((now - alert.raised_at).total_seconds() // 60)
            try:
                send(alert_message(alert, route, smtp, minutes_waiting=waiting))
            except (OSError, smtplib.SMTPException) as error:
                failed += 1
                if log is not None:
                    log(
                        f"alert {alert.alert_id} step {route.step} delivery {delivery}: "
                        f"not sent ({type(error).__name__})"
                    )
                break
            with uow:
                uow.alert_outbox.mark_sent(delivery, clock())
                uow.commit()
            sent += 1
            escalated += route.step > 0
            if log is not None:
                log(
                    f"alert {alert.alert_id} step {route.step} delivery {delivery}: "
                    f"sent ({route.route})"
                )
    return AlertEmailReport(
        pending=len(pending), sent=sent, skipped=skipped, failed=failed, escalated=escalated
    )
