"""Reads for the site pages. The core never imports an app's models; it asks their selectors."""

from dataclasses import dataclass
from datetime import datetime
from importlib import import_module


def _optional(module: str, name: str):
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError):
        return None


def home_context() -> dict:
    upcoming = _optional("events.selectors", "event_list_for_home")
    hubs = _optional("hubs.selectors", "hub_list_for_home")
    return {
        "upcoming_events": upcoming() if upcoming else [],
        "hubs": hubs() if hubs else [],
    }


# --- What operators watch (crossector/core/metrics.py, /health/) ------------------------------------------------


@dataclass(frozen=True)
class OutboxFigures:
    backlog: int  # emails written and not yet sent: queued (first try or waiting to retry) or being sent
    oldest_age_seconds: float  # how long the oldest of them has waited since it was written; 0 when none wait
    failed: int  # emails that ran out of attempts (OUTBOX_MAX_ATTEMPTS) and need a person to look


def outbox_figures(*, now: datetime | None = None) -> OutboxFigures:
    """The outbox's backlog, its oldest age and its failures, in one query.

    A backlog that only grows, or an oldest age past a few minutes, means emails are not leaving: the broker,
    the workers or the mail server is down (docs/deployment.md, "What operators watch").
    """
    from django.db.models import Count, Min, Q
    from django.utils import timezone

    from .models import OutboundEmail

    waiting = Q(status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING])
    row = OutboundEmail.objects.aggregate(
        backlog=Count("id", filter=waiting),
        oldest=Min("created_at", filter=waiting),
        failed=Count("id", filter=Q(status=OutboundEmail.Status.FAILED)),
    )
    now = now or timezone.now()
    oldest = max((now - row["oldest"]).total_seconds(), 0.0) if row["oldest"] else 0.0
    return OutboxFigures(backlog=row["backlog"], oldest_age_seconds=round(oldest, 1), failed=row["failed"])
