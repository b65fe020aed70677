"""Diary alerts reach a person (issue 16): each new alert is emailed to its site's alert
address, exactly once, by the running server (``hipcare.web.alert_sender``; no cron job).

The same three steps as family reminders (:mod:`hipcare.services.family.reminders`):

1. **Claim**: insert the alert's ``alert_deliveries`` row ('sending'), committed on its own;
   the unique alert id lets one server process win, the others skip it.
2. **Send**: one email through SMTP.
3. **Mark sent**: committed.

A claim left 'sending' (a process stopped between claim and mark, or SMTP refused) is taken
over after :data:`ALERT_CLAIM_TIMEOUT`: at-least-once in that window, exactly once otherwise;
a missed alert costs more than a rare second email. Only alerts raised within
:data:`ALERT_LOOKBACK` are sent, so a server started after a long stop does not email old
alerts the care team has seen on the dashboard.

The email holds no patient data: no name, no diary text, no score, only a link to the
child's page (sign-in needed). Logs carry delivery and alert ids only.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from hipcare.domain.records import utc_moment
from hipcare.services.family.reminders import SmtpSettings
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.alert_outbox import AlertToSend

__all__ = [
    "ALERT_CLAIM_TIMEOUT",
    "ALERT_LOOKBACK",
    "AlertEmailReport",
    "alert_message",
    "send_alert_emails",
]

ALERT_CLAIM_TIMEOUT = timedelta(minutes=5)
"""An alert claim still 'sending' after this long was left by a stop or a refusal: retried."""

ALERT_LOOKBACK = timedelta(days=1)
"""Alerts raised longer ago than this are not emailed (the dashboard lists them)."""

Sender = Callable[[EmailMessage], None]


@dataclass(frozen=True)
class AlertEmailReport:
    pending: int
    sent: int
    skipped: int
    failed: int


def alert_message(alert: AlertToSend, address: str, smtp: SmtpSettings) -> EmailMessage:
    """The email: that a family's diary raised an alert, and a link. No patient data."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = address
    message["Subject"] = "hipcare: a family diary alert needs the care team"
    link = f"{smtp.public_url}/children/{alert.child_id}#family-diary"
    message.set_content(
        "A family wrote in their child's home diary, and hipcare raised an alert for the "
        "care team.\n\n"
        f"Open it (sign-in needed) and acknowledge it:\n{link}\n\n"
        "This email holds no patient details on purpose.\n",
        charset="utf-8",
    )
    return message


def _claim(uow: UnitOfWork, alert: AlertToSend, address: str, now: datetime) -> int | None:
    with uow:
        claimed = uow.alert_outbox.claim(alert.alert_id, address, now)
        if claimed is not None:
            uow.commit()
            return claimed
    with uow:
        claimed = uow.alert_outbox.reclaim_stale(alert.alert_id, now, now - ALERT_CLAIM_TIMEOUT)
        uow.commit()
    return claimed


def send_alert_emails(
    uow: UnitOfWork,
    send: Sender,
    smtp: SmtpSettings,
    address_for: Callable[[str], str | None],
    *,
    clock: Callable[[], datetime],
    log: Callable[[str], None] | None = None,
) -> AlertEmailReport:
    """Claim, send and mark every alert waiting to be emailed (module docstring).
    ``address_for(site_id)``: the site's alert address, None for a site without one."""
    now = utc_moment(clock(), "now")
    with uow:
        pending = list(uow.alert_outbox.to_send(now - ALERT_LOOKBACK, now - ALERT_CLAIM_TIMEOUT))
    sent = skipped = failed = 0
    for alert in pending:
        address = address_for(alert.site_id)
        delivery = None if address is None else _claim(uow, alert, address, clock())
        if address is None or delivery is None:
            skipped += 1
            continue
        try:
            send(alert_message(alert, address, smtp))
        except (OSError, smtplib.SMTPException) as error:
            failed += 1
            if log is not None:
                log(
                    f"alert {alert.alert_id} delivery {delivery}: not sent ({type(error).__name__})"
                )
            continue
        with uow:
            uow.alert_outbox.mark_sent(delivery, clock())
            uow.commit()
        sent += 1
        if log is not None:
            log(f"alert {alert.alert_id} delivery {delivery}: sent")
    return AlertEmailReport(pending=len(pending), sent=sent, skipped=skipped, failed=failed)
