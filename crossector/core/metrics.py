"""The Prometheus endpoint at /metrics/: the figures operators watch, behind a token or a staff second factor.

Every figure is read from PostgreSQL (or asked of the broker) when Prometheus scrapes, not counted in a web
process: with several gunicorn workers on several nodes, in-process counters would each tell a part, while the
database tells every node the same whole. prometheus-client writes the exposition format (a maintained library
rather than our own string formatting). The figures, and the alerts to set on them: docs/deployment.md.

The core imports no app's models: bookings and submissions come from the apps' `figures` selectors.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from . import health, selectors
from .access import Assurance, assurance_of

# The dashboard's permission: the people who see programme figures in the admin see them here too.
STAFF_PERMISSION = "awards.view_application"


class PortalCollector:
    """Collects the figures at scrape time (prometheus-client's custom collector protocol)."""

    def collect(self):
        outbox = selectors.outbox_figures()
        yield GaugeMetricFamily(
            "crossector_outbox_backlog", "Emails written and not yet sent (queued or sending).", value=outbox.backlog
        )
        yield GaugeMetricFamily(
            "crossector_outbox_oldest_age_seconds",
            "Seconds the oldest email not yet sent has waited since it was written; 0 when none waits.",
            value=outbox.oldest_age_seconds,
        )
        yield GaugeMetricFamily(
            "crossector_outbox_failed", "Emails that ran out of attempts and need a person.", value=outbox.failed
        )
        queued = health.broker_queued_tasks()
        yield GaugeMetricFamily(
            "crossector_broker_up",
            "1 when the Celery broker answers (or none is used), else 0.",
            value=int(queued is not None or not settings.CELERY_BROKER_URL),
        )
        if queued is not None:
            yield GaugeMetricFamily(
                "crossector_tasks_queued", "Task messages waiting in the broker for a worker.", value=queued
            )
        bookings = selectors._optional("events.figures", "bookings_count_by_status")
        if bookings:
            family = GaugeMetricFamily("crossector_bookings", "Bookings by status, every event.", labels=["status"])
            for status, count in sorted(bookings().items()):
                family.add_metric([status], count)
            yield family
        submissions = selectors._optional("awards.figures", "submissions_count")
        if submissions:
            yield GaugeMetricFamily(
                "crossector_applications_submitted",
                "Award applications submitted and not withdrawn, every call.",
                value=submissions(),
            )


def metrics_allowed(request: HttpRequest) -> bool:
    """The scraper with `Authorization: Bearer <METRICS_TOKEN>`, or programme staff signed in with two factors.

    No token configured means no scraper gets in; anyone else (anonymous, members, staff on a password alone)
    is refused.
    """
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    user = getattr(request, "user", None)
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_staff
        and user.has_perm(STAFF_PERMISSION)
        and assurance_of(request) >= Assurance.SECOND_FACTOR
    )


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        response = HttpResponse(
            "Metrics need the scrape token, or a staff sign-in with two-factor authentication.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PortalCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
