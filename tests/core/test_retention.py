"""Retention jobs: each period in the privacy notice is enforced by the hourly sweep, in bulk and idempotently."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awards.models import Application, ApplicationEvent, Document
from crossector.core import privacy
from crossector.core.models import OutboundEmail, Profile
from crossector.core.retention import months_before, retention_run
from crossector.core.services import email_queue
from crossector.core.tasks import privacy_retention_sweep
from events.models import Booking
from hubs.network.models import AbuseReport
from tests.awards.factories import AwardCallFactory, application, complete
from tests.core.data_rights import private_media  # noqa: F401
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
REFERENCES = itertools.count(1)


def closed_call(closes_at):
    return AwardCallFactory(opens_at=closes_at - timedelta(days=60), closes_at=closes_at)


def draft_with_files(call):
    app = complete(application(call=call))
    return app, list(Document.objects.filter(application=app).values_list("file", flat=True))


def decided(status, at, **fields):
    app = application(
        call=closed_call(at - timedelta(days=90)),
        status=status,
        submitted_at=at - timedelta(days=100),
        reference=f"CSEA-T-{next(REFERENCES)}",
        **fields,
    )
    ApplicationEvent.objects.create(
        application=app, kind=ApplicationEvent.Kind.STATUS, from_status="under_review", to_status=status, created_at=at
    )
    return app


def test_months_before_counts_calendar_months_and_clamps_to_the_month_end():
    assert months_before(datetime(2025, 8, 31, tzinfo=UTC), 6) == datetime(2025, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2025, 1, 15, tzinfo=UTC), 13) == datetime(2023, 12, 15, tzinfo=UTC)
    assert months_before(datetime(2025, 1, 31, tzinfo=UTC), -1) == datetime(2025, 2, 28, tzinfo=UTC)


def test_drafts_are_deleted_with_their_files_six_months_after_the_call_closes(django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False):
        old_call = closed_call(START + timedelta(days=1))
        old_draft, old_files = draft_with_files(old_call)
        submitted = application(call=old_call, status="submitted", reference="CSEA-25-0001", submitted_at=START)
        recent_draft, recent_files = draft_with_files(closed_call(START + timedelta(days=60)))
    assert old_files and all(default_storage.exists(n) for n in old_files)

    with time_machine.travel(months_before(START + timedelta(days=1), -6) + timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            counts = retention_run()
    assert counts["drafts_deleted"] == 1
    assert not Application.objects.filter(pk=old_draft.pk).exists()
    assert not any(default_storage.exists(n) for n in old_files)
    assert Application.objects.filter(pk__in=[submitted.pk, recent_draft.pk]).count() == 2
    assert all(default_storage.exists(n) for n in recent_files)


def test_the_draft_period_is_a_setting(settings):
    with time_machine.travel(START, tick=False):
        draft, _ = draft_with_files(closed_call(START + timedelta(days=1)))
    settings.RETENTION_DRAFT_MONTHS = 1
    with time_machine.travel(START + timedelta(days=40), tick=False):
        assert retention_run()["drafts_deleted"] == 1
    assert not Application.objects.filter(pk=draft.pk).exists()


def test_a_draft_with_a_later_individual_extension_waits_for_the_extension():
    with time_machine.travel(START, tick=False):
        draft, _ = draft_with_files(closed_call(START + timedelta(days=1)))
        Application.objects.filter(pk=draft.pk).update(extension_until=START + timedelta(days=90))
    with time_machine.travel(START + timedelta(days=200), tick=False):
        assert retention_run()["drafts_deleted"] == 0
    with time_machine.travel(START + timedelta(days=90 + 190), tick=False):
        assert retention_run()["drafts_deleted"] == 1


def test_email_bodies_are_purged_after_90_days_keeping_the_record():
    user = person()
    with time_machine.travel(START, tick=False):
        sent = email_queue(
            to=user.email,
            user=user,
            subject="Your place is booked",
            body_text="Dear Ann",
            body_html="<p>Dear Ann</p>",
            idempotency_key="old-sent",
        )
        OutboundEmail.objects.filter(pk=sent.pk).update(status=OutboundEmail.Status.SENT, sent_at=START)
        stuck = email_queue(to=user.email, subject="Still queued", body_text="Keep me", idempotency_key="old-queued")
    with time_machine.travel(START + timedelta(days=89), tick=False):
        assert retention_run()["outbox_bodies_purged"] == 0
    with time_machine.travel(START + timedelta(days=91), tick=False):
        assert retention_run()["outbox_bodies_purged"] == 1
        assert retention_run()["outbox_bodies_purged"] == 0  # idempotent
    sent.refresh_from_db()
    assert (sent.body_text, sent.body_html, sent.attachments) == ("", "", [])
    assert (sent.to, sent.subject, sent.status, sent.sent_at) == (user.email, "Your place is booked", "sent", START)
    stuck.refresh_from_db()
    assert stuck.body_text == "Keep me"  # never send a blank email


def test_the_record_of_an_email_goes_after_two_years():
    with time_machine.travel(START, tick=False):
        row = email_queue(to="a@example.org", subject="Hello", body_text="x", idempotency_key="ancient")
        OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.SENT, sent_at=START)
    with time_machine.travel(START + timedelta(days=settings.RETENTION_OUTBOX_RECORD_DAYS + 1), tick=False):
        assert retention_run()["outbox_records_deleted"] == 1
    assert not OutboundEmail.objects.filter(pk=row.pk).exists()


def test_unsuccessful_applications_are_erased_two_years_after_the_decision_and_awarded_ones_after_seven():
    not_awarded = decided("not_awarded", START)
    ineligible = decided("ineligible", START + timedelta(days=400))
    awarded = decided("awarded", START, awarded_amount=50000)
    with time_machine.travel(months_before(START, -24) + timedelta(days=1), tick=False):
        counts = retention_run()
    assert counts["unsuccessful_applications_erased"] == 1
    assert not Application.objects.filter(pk=not_awarded.pk).exists()
    assert Application.objects.filter(pk__in=[ineligible.pk, awarded.pk]).count() == 2
    with time_machine.travel(months_before(START, -84) + timedelta(days=1), tick=False):
        assert retention_run()["awarded_applications_erased"] == 1
    assert not Application.objects.filter(pk=awarded.pk).exists()


def test_an_erased_accounts_name_goes_with_its_last_kept_application(client):
    user = person(full_name="Bethan Kept")
    with time_machine.travel(START, tick=False):
        kept = decided("not_awarded", START, applicant=user)
        privacy.account_erase(user=user)
    assert Profile.objects.get(user=user).full_name == "Bethan Kept"
    with time_machine.travel(START + timedelta(days=400), tick=False):
        assert retention_run()["erased_names_cleared"] == 0
    with time_machine.travel(months_before(START, -25), tick=False):
        counts = retention_run()
    assert counts["unsuccessful_applications_erased"] == 1 and counts["erased_names_cleared"] == 1
    assert not Application.objects.filter(pk=kept.pk).exists()
    assert Profile.objects.get(user=user).full_name == ""


def test_bookings_are_anonymised_two_years_after_the_event():
    with time_machine.travel(START, tick=False):
        old = BookingFactory(
            event=EventFactory(starts_at=START - timedelta(days=1), ends_at=START - timedelta(hours=20)),
            access_requirements="Hearing loop",
            attended_at=START - timedelta(days=1),
        )
        recent = BookingFactory(
            event=EventFactory(starts_at=START + timedelta(days=300), ends_at=START + timedelta(days=300, hours=3))
        )
    with time_machine.travel(months_before(START, -24) + timedelta(days=1), tick=False):
        assert retention_run()["bookings_anonymised"] == 1
        assert retention_run()["bookings_anonymised"] == 0
    old.refresh_from_db()
    assert old.user is None and old.access_requirements == "" and old.attended_at is not None and old.sector
    assert Booking.objects.get(pk=recent.pk).user is not None


def test_handled_abuse_reports_are_deleted_two_years_after_handling():
    a, b = person(), person()
    with time_machine.travel(START, tick=False):
        handled = AbuseReport.objects.create(reporter=a, reported=b, reason="Spam", status="handled", handled_at=START)
        still_open = AbuseReport.objects.create(reporter=b, reported=a, reason="Rude")
    with time_machine.travel(months_before(START, -24) + timedelta(days=1), tick=False):
        assert retention_run()["abuse_reports_deleted"] == 1
    assert not AbuseReport.objects.filter(pk=handled.pk).exists()
    assert AbuseReport.objects.filter(pk=still_open.pk).exists()


def test_the_sweep_is_bulk_whatever_the_number_of_rows():
    def old_drafts(n):
        with time_machine.travel(START, tick=False):
            call = closed_call(START + timedelta(days=1))
            for _ in range(n):
                complete(application(call=call))

    counts = []
    for n in (2, 12):
        old_drafts(n)
        with time_machine.travel(START + timedelta(days=400), tick=False):
            with CaptureQueriesContext(connection) as queries:
                assert retention_run()["drafts_deleted"] == n
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_sweep_is_on_the_beat_schedule_and_runs_as_a_task():
    entry = settings.CELERY_BEAT_SCHEDULE["privacy-retention"]
    assert entry["task"] == "crossector.core.tasks.privacy_retention_sweep"
    with time_machine.travel(START, tick=False):
        draft, _ = draft_with_files(closed_call(START + timedelta(days=1)))
    with time_machine.travel(START + timedelta(days=400), tick=False):
        result = privacy_retention_sweep.delay().get()
    assert result["drafts_deleted"] == 1
