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
from crossector.core.retention import (
    PERIODS,
    Period,
    months_before,
    retention_cutoff,
    retention_period,
    retention_run,
)
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
    with time_machine.travel(months_before(START, -24) + timedelta(days=1), tick=False):
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


# --- One period helper, and the notice's table (issue 21 item 3) --------------------------------------------

# The retention table of the privacy notice (templates/core/privacy.html before it was rendered from
# crossector.core.retention), written out by hand: what every sweep must enforce.
NOTICE = {
    "bookings": (
        "Event bookings, including dietary and access requirements",
        "2 years after the event, after which they are anonymised",
    ),
    "drafts": ("Draft applications that were never submitted", "Deleted 6 months after the call closes"),
    "awarded_applications": (
        "Submitted applications that receive an award",
        "7 years after the decision, so that the use of public and charitable funds can be audited",
    ),
    "unsuccessful_applications": (
        "Unsuccessful, ineligible and withdrawn applications",
        "2 years after the decision or withdrawal",
    ),
    "abuse_reports": (
        "Reports of a member's behaviour in the people directory",
        "2 years after our staff have dealt with them",
    ),
}
EMAILS = (
    "Emails we send you",
    "The message body is deleted after 90 days; a record that the email was delivered is kept for 2 years",
)
# Each period from the notice as a date: a record dated START is due to go at this moment, to the day.
DUE = {
    "bookings": datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
    "drafts": datetime(2025, 9, 1, 12, 0, tzinfo=UTC),
    "awarded_applications": datetime(2032, 3, 1, 12, 0, tzinfo=UTC),
    "unsuccessful_applications": datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
    "email_bodies": datetime(2025, 5, 30, 12, 0, tzinfo=UTC),  # 90 days
    "email_records": datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
    "abuse_reports": datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
}


def _sent_email():
    row = email_queue(to="ann@example.org", subject="Hello", body_text="Dear Ann", idempotency_key="due-email")
    OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.SENT, sent_at=START)


# One record dated START for each kind, and the count retention_run reports when it goes.
RECORDS = {
    "bookings": (
        lambda: BookingFactory(event=EventFactory(starts_at=START - timedelta(hours=3), ends_at=START)),
        "bookings_anonymised",
    ),
    "drafts": (lambda: draft_with_files(closed_call(START)), "drafts_deleted"),
    "awarded_applications": (
        lambda: decided("awarded", START, awarded_amount=50000),
        "awarded_applications_erased",
    ),
    "unsuccessful_applications": (lambda: decided("withdrawn", START), "unsuccessful_applications_erased"),
    "email_bodies": (_sent_email, "outbox_bodies_purged"),
    "email_records": (_sent_email, "outbox_records_deleted"),
    "abuse_reports": (
        lambda: AbuseReport.objects.create(
            reporter=person(), reported=person(), reason="Spam", status="handled", handled_at=START
        ),
        "abuse_reports_deleted",
    ),
}


def test_every_period_is_declared_once_in_calendar_units_and_matches_the_notice():
    by_hand = {
        "bookings": Period(years=2),
        "drafts": Period(months=6),
        "awarded_applications": Period(years=7),
        "unsuccessful_applications": Period(years=2),
        "email_bodies": Period(days=90),
        "email_records": Period(years=2),
        "abuse_reports": Period(years=2),
    }
    assert {kind: retention_period(kind) for kind in PERIODS} == by_hand
    assert set(RECORDS) == set(DUE) == set(PERIODS)


@pytest.mark.parametrize("kind", list(DUE))
def test_each_sweep_keeps_a_record_until_the_day_the_notice_says_and_not_a_day_longer(kind):
    make, count = RECORDS[kind]
    with time_machine.travel(START, tick=False):
        make()
    due = DUE[kind]
    with time_machine.travel(due - timedelta(days=1), tick=False):
        assert retention_run()[count] == 0
    with time_machine.travel(due + timedelta(days=1), tick=False):
        assert retention_run()[count] == 1
        assert retention_run()[count] == 0


def test_abuse_reports_go_two_calendar_years_after_handling_not_720_days():
    """Handled 29 February 2024: two years is 28 February 2026 (no 29th), 720 days would be 18 February."""
    handled_at = datetime(2024, 2, 29, 9, 0, tzinfo=UTC)
    with time_machine.travel(handled_at, tick=False):
        report = AbuseReport.objects.create(
            reporter=person(), reported=person(), reason="Rude", status="handled", handled_at=handled_at
        )
    for day, deleted in [(handled_at + timedelta(days=721), 0), (datetime(2026, 2, 27, 9, 0, tzinfo=UTC), 0)]:
        with time_machine.travel(day, tick=False):
            assert retention_run()["abuse_reports_deleted"] == deleted, day
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        assert retention_run()["abuse_reports_deleted"] == 1
    assert not AbuseReport.objects.filter(pk=report.pk).exists()


def test_a_period_counts_calendar_units_and_reads_as_people_state_it():
    assert Period(months=24) == Period(years=2) and str(Period(months=24)) == "2 years"
    assert str(Period(months=18)) == "1 year and 6 months" and str(Period(days=1)) == "1 day"
    moment = datetime(2024, 2, 29, 12, 0, tzinfo=UTC)
    assert retention_cutoff(now=moment, period=Period(years=2)) == datetime(2022, 2, 28, 12, 0, tzinfo=UTC)
    assert retention_cutoff(now=moment, period=Period(months=1, days=2)) == datetime(2024, 1, 27, 12, 0, tzinfo=UTC)
    assert Period(years=7).after(moment) == datetime(2031, 2, 28, 12, 0, tzinfo=UTC)


def test_a_changed_setting_changes_the_sweep_and_the_notice_together(client, settings):
    settings.RETENTION_ABUSE_REPORT_MONTHS = 18
    with time_machine.travel(START, tick=False):
        RECORDS["abuse_reports"][0]()
    with time_machine.travel(datetime(2026, 8, 31, 12, 0, tzinfo=UTC), tick=False):
        assert retention_run()["abuse_reports_deleted"] == 0
    with time_machine.travel(datetime(2026, 9, 2, 12, 0, tzinfo=UTC), tick=False):
        assert retention_run()["abuse_reports_deleted"] == 1
    html = client.get("/privacy/").content.decode()
    assert "1 year and 6 months after our staff have dealt with them" in html


def test_the_privacy_notice_shows_the_periods_as_written(client):
    html = client.get("/privacy/").content.decode().replace("&#x27;", "'")
    for information, how_long in [*NOTICE.values(), EMAILS, ("Server logs", "30 days")]:
        assert f"<tr><td>{information}</td><td>{how_long}</td></tr>" in html


def test_docs_list_every_period_setting_with_its_default():
    from pathlib import Path

    docs = (Path(settings.BASE_DIR) / "docs" / "privacy.md").read_text()
    for name in PERIODS.values():
        assert f"| `{name}` | {getattr(settings, name)} |" in docs, name
