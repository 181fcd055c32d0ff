"""Retention jobs: keep personal information no longer than the privacy notice says.

One periodic sweep (`privacy_retention_sweep`, in CELERY_BEAT_SCHEDULE) runs the core's jobs and each app's
`retention_sweep` (reached through crossector.core.privacy.APP_PROVIDERS). Every job is a bulk UPDATE or
DELETE selected by date, so it is idempotent, catches up after downtime and is safe to run twice. The
periods are settings (RETENTION_*), documented in docs/privacy.md.
"""

from __future__ import annotations

import calendar
import logging
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


def outbox_bodies_purge(*, now: datetime | None = None) -> int:
    """Delete the text, HTML and attachments of emails older than RETENTION_OUTBOX_DAYS, keeping the record
    (recipient, subject, status, dates). Unsent rows are left alone so nothing blank is ever sent."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_OUTBOX_DAYS)
    return (
        OutboundEmail.objects.filter(created_at__lt=cutoff)
        .exclude(status__in=UNSENT)
        .filter(~Q(body_text="") | ~Q(body_html="") | ~Q(attachments=[]))
        .update(body_text="", body_html="", attachments=[], last_error="")
    )


def outbox_records_delete(*, now: datetime | None = None) -> int:
    """Delete the record of an email entirely RETENTION_OUTBOX_RECORD_DAYS after it was written."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_OUTBOX_RECORD_DAYS)
    deleted, _ = OutboundEmail.objects.filter(created_at__lt=cutoff).exclude(status__in=UNSENT).delete()
    return deleted


def retention_run(*, now: datetime | None = None) -> dict[str, int]:
    """Run every retention job once; returns how many rows each touched. Each app's jobs run in their own
    transaction, so one failing app does not undo another's work."""
    from .privacy import erased_names_clear, providers

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
    if any(counts.values()):
        logger.info("Retention: %s", ", ".join(f"{name} {n}" for name, n in counts.items() if n))
    return counts
