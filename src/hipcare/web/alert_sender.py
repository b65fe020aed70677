"""The web server's alert sender (issue 16): a background task, started with the app, that
every few seconds emails new diary alerts to the route in force at their site, escalates
unacknowledged ones, tells the care team a family message is waiting and tells the family
the care team replied (issue 17)
(:func:`hipcare.services.alert_emails.send_alert_emails`; each step
once across server processes). Runs when ``HIPCARE_SMTP_HOST`` is set; the sites' alert
routes (``sites.toml`` and the routes page) give the addresses, ``HIPCARE_ALERT_EMAIL`` the
fallback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from hipcare.domain.alert_routes import AlertEscalation
from hipcare.domain.errors import InvalidInputError
from hipcare.services.alert_emails import send_alert_emails
from hipcare.services.family.messages import send_message_notices, send_reply_notices
from hipcare.services.family.reminders import SmtpSettings, smtp_sender
from hipcare.services.ports.content import Site, Translator
from hipcare.settings import Settings
from hipcare.storage import SqlAlchemyUnitOfWork

__all__ = ["AlertSender", "alert_sender_for"]

_log = logging.getLogger("hipcare.web.alerts")

_DEFAULT_SENDER = "hipcare@localhost"


class AlertSender:
    """Sends waiting alert emails once per ``interval_seconds`` while :meth:`run` runs."""

    def __init__(
        self,
        fallback_address: str | None,
        smtp: SmtpSettings,
        session_factory: sessionmaker[Session],
        clock: Callable[[], datetime],
        interval_seconds: float,
        *,
        sites: Mapping[str, Site],
        escalation: AlertEscalation,
        translate: Callable[[str], Translator] | None = None,
    ) -> None:
        self._translate = translate
        self._fallback_address = fallback_address
        self._sites = sites
        self._escalation = escalation
        self._smtp = smtp
        self._send = smtp_sender(smtp)
        self._uow = SqlAlchemyUnitOfWork(session_factory)
        self._clock = clock
        self.interval_seconds = interval_seconds

    def send_once(self) -> int:
        """One pass: how many emails were sent (alerts, then "a family message is waiting"
        notices, :func:`hipcare.services.family.messages.send_message_notices`, then, given
        the family's translators, "the care team has replied" notices,
        :func:`hipcare.services.family.messages.send_reply_notices`)."""
        report = send_alert_emails(
            self._uow,
            self._send,
            self._smtp,
            sites=self._sites,
            escalation=self._escalation,
            fallback_address=self._fallback_address,
            clock=self._clock,
            log=_log.info,
        )
        notices = send_message_notices(
            self._uow,
            self._send,
            self._smtp,
            sites=self._sites,
            fallback_address=self._fallback_address,
            clock=self._clock,
            log=_log.info,
        )
        replies = 0
        if self._translate is not None:
            replies = send_reply_notices(
                self._uow,
                self._send,
                self._smtp,
                translate=self._translate,
                clock=self._clock,
                log=_log.info,
            ).sent
        return report.sent + notices.sent + replies

    async def run(self) -> None:
        """Until cancelled: a pass (in a worker thread: SMTP and the database block), then
        a pause. A failed pass is logged (its kind only) and the next one tries again."""
        while True:
            try:
                await asyncio.to_thread(self.send_once)
            # Any failure: the loop must outlive it (the next pass tries again).
            except Exception as error:
                _log.warning("alert emails: a pass failed (%s)", type(error).__name__)
            await asyncio.sleep(self.interval_seconds)


def alert_sender_for(
    settings: Settings,
    session_factory: sessionmaker[Session],
    clock: Callable[[], datetime],
    *,
    sites: Mapping[str, Site],
    escalation: AlertEscalation,
    translate: Callable[[str], Translator] | None = None,
) -> AlertSender | None:
    """The sender the settings ask for, or None (no SMTP server). ``translate``: the family's
    translators (the reply notices are sent only with them)."""
    mail = dict(settings.mail_environ)
    if not mail.get("HIPCARE_SMTP_HOST", "").strip():
        if settings.alert_email is not None:
            _log.warning("alert emails: HIPCARE_ALERT_EMAIL is set but HIPCARE_SMTP_HOST is not")
        return None
    mail.setdefault("HIPCARE_SMTP_FROM", _DEFAULT_SENDER)
    try:
        smtp = SmtpSettings.from_environ(mail)
    except InvalidInputError as error:
        _log.warning("alert emails: %s is not usable; none are sent", error.field)
        return None
    return AlertSender(
        settings.alert_email,
        smtp,
        session_factory,
        clock,
        settings.alert_poll_seconds,
        sites=sites,
        escalation=escalation,
        translate=translate,
    )
