"""``hipcare send-reminders``: email each family the care-plan steps due today (or ``--date``).

Run it from cron or a systemd timer, as often as you like: each reminder goes out once per
(step, family member, due date), even when two runs overlap or one is stopped midway (see
``hipcare.services.family.reminders`` and docs/family.md for the exact guarantee). Settings:
``HIPCARE_DATABASE_URL`` (as for ``hipcare serve``), ``HIPCARE_SMTP_HOST``,
``HIPCARE_SMTP_PORT``, ``HIPCARE_SMTP_FROM``, optional ``HIPCARE_SMTP_USER`` /
``HIPCARE_SMTP_PASSWORD`` / ``HIPCARE_SMTP_STARTTLS`` and ``HIPCARE_PUBLIC_URL`` (the link in
the email).
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hipcare.cli.command_io import CommandIO
from hipcare.domain.errors import InvalidInputError
from hipcare.settings import Settings

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "send-reminders",
        help="email each family what is due today (once per step, safe to run twice)",
        description=(
            "Email every family member the care-plan steps of their child due today (the "
            "clinic's day, HIPCARE_TIMEZONE) through SMTP (HIPCARE_SMTP_HOST, _PORT, _FROM, "
            "optional _USER, _PASSWORD, _STARTTLS; HIPCARE_PUBLIC_URL for the link). Each "
            "reminder is claimed in the database before it is sent, so overlapping or repeated "
            "runs send it once; a run stopped between sending and recording is retried after "
            "the claim timeout."
        ),
    )
    parser.add_argument("--date", help="the due day to remind about (YYYY-MM-DD; default today)")
    parser.add_argument(
        "--claim-timeout-minutes",
        type=int,
        default=15,
        help="retry a claim left unsent this long by a stopped run (default 15)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, io: CommandIO) -> int:
    # Heavy imports inside the handler keep `hipcare --help` fast.
    from hipcare.bootstrap import load_content
    from hipcare.services.family.reminders import SmtpSettings, send_reminders, smtp_sender
    from hipcare.storage import (
        SqlAlchemyUnitOfWork,
        create_database_engine,
        create_session_factory,
        upgrade_to_head,
    )

    settings = Settings.from_environ(io.environ)
    smtp = SmtpSettings.from_environ(io.environ)
    if args.claim_timeout_minutes < 1:
        raise InvalidInputError("--claim-timeout-minutes", "must be 1 or more")
    if args.date:
        try:
            day = date.fromisoformat(args.date)
        except ValueError:
            raise InvalidInputError("--date", f"{args.date!r} is not YYYY-MM-DD") from None
    else:
        day = datetime.now(UTC).astimezone(ZoneInfo(settings.timezone)).date()
    upgrade_to_head(settings.database_url)
    content = load_content()
    engine = create_database_engine(settings.database_url)
    try:
        report = send_reminders(
            SqlAlchemyUnitOfWork(create_session_factory(engine)),
            smtp_sender(smtp),
            smtp,
            content.pathway_content,
            day=day,
            clock=lambda: datetime.now(UTC),
            translate=content.words,
            timeout=timedelta(minutes=args.claim_timeout_minutes),
            progress=lambda line: print(line, file=io.stderr),
        )
    finally:
        engine.dispose()
    io.stdout.write(
        f"{day.isoformat()}: {report.due} due, {report.sent} sent, "
        f"{report.skipped} already sent or being sent, {report.failed} failed\n"
    )
    return 0 if report.failed == 0 else 1
