"""Retention jobs: keep personal information no longer than the privacy notice says.

One periodic sweep (`privacy_retention_sweep`, in CELERY_BEAT_SCHEDULE) runs the core's jobs (the outbox, erased
names, expired sessions: Django's `clearsessions`) and each app's
`retention_sweep` (reached through crossector.core.privacy.APP_PROVIDERS). Every job is a bulk UPDATE or
DELETE selected by date, so it is idempotent, catches up after downtime and is safe to run twice.

Every period is declared once, in PERIODS, in calendar units (the unit is the setting's suffix: _YEARS,
_MONTHS, _DAYS), and every sweep asks `retention_cutoff` for its date; the privacy notice renders its
retention table from NOTICE_ROWS with the same periods, so "2 years" in the notice is two calendar years in
the sweep. The numbers are settings (RETENTION_*), documented in docs/privacy.md.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboundEmail

logger = logging.getLogger(__name__)

UNSENT = (OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (later if negative), clamped to the month's end."""
    years, month_index = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month_index + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Period:
    """A length of time as people state it: calendar years and months (a year from 29 February is 28
    February), then days. 24 months and 2 years are the same period, and read "2 years"."""

    years: int = 0
    months: int = 0
    days: int = 0

    def __post_init__(self):
        extra_years, months = divmod(self.months, 12)
        object.__setattr__(self, "years", self.years + extra_years)
        object.__setattr__(self, "months", months)

    def before(self, moment: datetime) -> datetime:
        return months_before(moment, 12 * self.years + self.months) - timedelta(days=self.days)

    def after(self, moment: datetime) -> datetime:
        return months_before(moment, -(12 * self.years + self.months)) + timedelta(days=self.days)

    def __str__(self) -> str:
        parts = [(self.years, "year"), (self.months, "month"), (self.days, "day")]
        return " and ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n) or "0 days"


# What the notice promises, one entry per kind of record: the setting holding the number, whose suffix is
# the unit. Sweeps, the erasure pages, the notice and docs/privacy.md all read this table.
PERIODS: dict[str, str] = {
    "bookings": "RETENTION_BOOKING_MONTHS",
    "drafts": "RETENTION_DRAFT_MONTHS",
    "awarded_applications": "RETENTION_AWARDED_YEARS",
    "unsuccessful_applications": "RETENTION_UNSUCCESSFUL_MONTHS",
    "email_bodies": "RETENTION_OUTBOX_DAYS",
    "email_records": "RETENTION_OUTBOX_RECORD_MONTHS",
    "abuse_reports": "RETENTION_ABUSE_REPORT_MONTHS",
}
_UNITS = {"_YEARS": "years", "_MONTHS": "months", "_DAYS": "days"}

# The privacy notice's retention table: the kind of information, and how long, with {key} for a period above.
NOTICE_ROWS: tuple[tuple[str, str], ...] = (
    ("Account and profile", "Until you delete your account"),
    (
        "Event bookings, including dietary and access requirements",
        "{bookings} after the event, after which they are anonymised",
    ),
    ("Draft applications that were never submitted", "Deleted {drafts} after the call closes"),
    (
        "Submitted applications that receive an award",
        "{awarded_applications} after the decision, so that the use of public and charitable funds can be audited",
    ),
    (
        "Unsuccessful, ineligible and withdrawn applications",
        "{unsuccessful_applications} after the decision or withdrawal",
    ),
    (
        "Emails we send you",
        "The message body is deleted after {email_bodies}; a record that the email was delivered is kept for "
        "{email_records}",
    ),
    ("Reports of a member's behaviour in the people directory", "{abuse_reports} after our staff have dealt with them"),
    (
        "Sign-in sessions (which device is signed in, and how you signed in, including your email address)",
        "Until you sign out, and {sessions}; expired ones are deleted within "
        "the hour, and all of yours when you delete your account",
    ),
    (
        "What you typed into an application form after your session had expired",
        "1 day, so that you can sign in and carry on; then it is deleted",
    ),
    (
        "The record of changes our staff make to your records in the admin",
        "As long as the record it describes; your name and email address are removed from it when you delete your "
        "account",
    ),
    # Kept by the hosting platform's log rotation, not by the portal (docs/deployment.md).
    ("Server logs", "30 days"),
)


def retention_period(kind: str) -> Period:
    """The period for one kind of record in PERIODS, from its setting (read now, so tests can change it)."""
    name = PERIODS[kind]
    unit = next(unit for suffix, unit in _UNITS.items() if name.endswith(suffix))
    return Period(**{unit: getattr(settings, name)})


def retention_cutoff(*, now: datetime, period: Period) -> datetime:
    """Records dated before this moment have been kept for the whole period and are due to go."""
    return period.before(now)


def notice_rows() -> list[tuple[str, str]]:
    """The privacy notice's retention table, with the periods the sweeps enforce."""
    from .cookies import session_limit

    periods = {kind: str(retention_period(kind)) for kind in PERIODS}
    # A sign-in's limit comes from SESSION_COOKIE_AGE, in the words the notice's cookie list uses too.
    periods["sessions"] = session_limit()
    return [(information, how_long.format(**periods)) for information, how_long in NOTICE_ROWS]


def outbox_bodies_purge(*, now: datetime | None = None) -> int:
    """Delete the text, HTML and attachments of emails older than RETENTION_OUTBOX_DAYS, keeping the record
    (recipient, subject, status, dates). Unsent rows are left alone so nothing blank is ever sent."""
    now = now or timezone.now()
    cutoff = retention_cutoff(now=now, period=retention_period("email_bodies"))
    return (
        OutboundEmail.objects.filter(created_at__lt=cutoff)
        .exclude(status__in=UNSENT)
        .filter(~Q(body_text="") | ~Q(body_html="") | ~Q(attachments=[]))
        .update(body_text="", body_html="", attachments=[], last_error="")
    )


def outbox_records_delete(*, now: datetime | None = None) -> int:
    """Delete the record of an email entirely RETENTION_OUTBOX_RECORD_MONTHS after it was written."""
    now = now or timezone.now()
    cutoff = retention_cutoff(now=now, period=retention_period("email_records"))
    deleted, _ = OutboundEmail.objects.filter(created_at__lt=cutoff).exclude(status__in=UNSENT).delete()
    return deleted


def retention_run(*, now: datetime | None = None) -> dict[str, int]:
    """Run every retention job once; returns how many rows each touched. Each app's jobs run in their own
    transaction, so one failing app does not undo another's work."""
    from .privacy import erased_names_clear, expired_sessions_clear, providers

    now = now or timezone.now()
    counts: dict[str, int] = {}
    for module in providers():
        sweep = getattr(module, "retention_sweep", None)
        if sweep:
            with transaction.atomic():
                counts.update(sweep(now=now))
    with transaction.atomic():
        counts["outbox_bodies_purged"] = outbox_bodies_purge(now=now)
        counts["outbox_records_deleted"] = outbox_records_delete(now=now)
        counts["erased_names_cleared"] = erased_names_clear(now=now)
        counts["expired_sessions_deleted"] = expired_sessions_clear(now=now)
    if any(counts.values()):
        logger.info("Retention: %s", ", ".join(f"{name} {n}" for name, n in counts.items() if n))
    return counts
