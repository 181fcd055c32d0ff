"""/metrics/ for Prometheus: refused to everyone but the scraper's token and staff with two factors; its figures
(outbox backlog and oldest age, failed emails, tasks queued, bookings, submissions) read as Prometheus reads them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from awards.models import Application
from crossector.core.models import OutboundEmail
from events.models import Booking
from tests.awards.factories import application
from tests.conftest import login_with_mfa, port_nothing_listens_on
from tests.events.factories import BookingFactory
from tests.factories import person
from tests.security.world import reviewer_in_group

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_TOKEN = TOKEN


def figures(response) -> dict[tuple[str, tuple], float]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def _refused(response):
    return (
        response.status_code == 401
        and response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        and b"crossector_" not in response.content
    )


def test_anonymous_members_and_staff_without_a_second_factor_are_refused(staff_user):
    assert _refused(Client().get("/metrics/"))
    member = Client()
    member.force_login(person())
    assert _refused(member.get("/metrics/"))
    staff_password_only = Client()
    staff_password_only.force_login(staff_user)
    assert _refused(staff_password_only.get("/metrics/"))
    # A reviewer is staff with two factors, but not programme staff: the dashboard's permission decides.
    assert _refused(login_with_mfa(Client(), reviewer_in_group()).get("/metrics/"))


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Basic {TOKEN}",
        TOKEN,
        f"Bearer {TOKEN.upper()}",
    ],
)
def test_a_wrong_or_malformed_token_is_refused(header):
    assert _refused(Client().get("/metrics/", HTTP_AUTHORIZATION=header))


def test_no_token_configured_lets_no_scraper_in(settings):
    settings.METRICS_TOKEN = ""
    for header in ("Bearer ", "Bearer", f"Bearer {TOKEN}"):
        assert _refused(Client().get("/metrics/", HTTP_AUTHORIZATION=header))


def test_the_token_and_staff_with_two_factors_get_the_figures(staff_user):
    assert "crossector_outbox_backlog" in {
        n for n, _ in figures(Client().get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))
    }
    assert "crossector_outbox_backlog" in {n for n, _ in figures(login_with_mfa(Client(), staff_user).get("/metrics/"))}
    response = Client().get("/metrics/", HTTP_AUTHORIZATION=f"bearer  {TOKEN} ")
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # send_task always publishes
def test_the_outbox_figures_bookings_submissions_and_queued_tasks_are_read_from_the_endpoint(settings):
    from crossector.celery import app

    now = timezone.now()
    common = {"to": "a@example.org", "subject": "s", "body_text": "b"}
    OutboundEmail.objects.create(idempotency_key="q-old", created_at=now - timedelta(minutes=10), **common)
    OutboundEmail.objects.create(idempotency_key="q-new", created_at=now - timedelta(seconds=5), **common)
    OutboundEmail.objects.create(
        idempotency_key="sending",
        created_at=now - timedelta(minutes=2),
        status=OutboundEmail.Status.SENDING,
        claimed_at=now,
        **common,
    )
    OutboundEmail.objects.create(
        idempotency_key="sent", created_at=now - timedelta(days=3), status="sent", sent_at=now, **common
    )
    for n in range(2):
        OutboundEmail.objects.create(
            idempotency_key=f"failed-{n}",
            created_at=now - timedelta(days=1),
            status=OutboundEmail.Status.FAILED,
            **common,
        )
    BookingFactory.create_batch(3)
    BookingFactory(status=Booking.Status.WAITLISTED)
    BookingFactory(status=Booking.Status.CANCELLED)
    submitted = {"status": Application.Status.SUBMITTED, "submitted_at": now}
    application(reference="CSEA-24-0001", **submitted)
    application(reference="CSEA-24-0002", **{**submitted, "status": Application.Status.AWARDED})
    application(reference="CSEA-24-0003", **{**submitted, "status": Application.Status.WITHDRAWN})
    application()  # a draft is not a submission

    app.control.purge()  # the broker (CELERY_BROKER_URL, a private Redis database per test run) starts empty
    for _ in range(4):
        app.send_task("crossector.core.tasks.outbox_sweep")
    try:
        read = figures(Client().get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))
    finally:
        app.control.purge()

    assert read[("crossector_outbox_backlog", ())] == 3
    assert 600 <= read[("crossector_outbox_oldest_age_seconds", ())] < 660
    assert read[("crossector_outbox_failed", ())] == 2
    assert read[("crossector_broker_up", ())] == 1
    assert read[("crossector_tasks_queued", ())] == 4
    assert read[("crossector_bookings", (("status", "confirmed"),))] == 3
    assert read[("crossector_bookings", (("status", "waitlisted"),))] == 1
    assert read[("crossector_bookings", (("status", "cancelled"),))] == 1
    assert read[("crossector_applications_submitted", ())] == 2


def test_an_empty_outbox_reads_zero_and_a_broker_that_is_down_says_so(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port_nothing_listens_on()}/0"  # nothing listens here
    read = figures(Client().get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))
    assert read[("crossector_outbox_backlog", ())] == 0
    assert read[("crossector_outbox_oldest_age_seconds", ())] == 0
    assert read[("crossector_broker_up", ())] == 0
    assert ("crossector_tasks_queued", ()) not in read
