import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from icalendar import Calendar

from crossector.core.dates import format_datetime
from crossector.core.models import OutboundEmail
from events import services
from events.ics import event_ics
from events.models import Booking, Event
from events.services import reminder_key_suffix
from events.tasks import event_reminders_sweep
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import person

pytestmark = pytest.mark.django_db


def parse(ics_text):
    cal = Calendar.from_ical(ics_text)
    [vevent] = cal.walk("VEVENT")
    return cal, vevent


def test_calendar_file_has_stable_uid_london_timezone_and_location():
    event = EventFactory(starts_at=datetime(2031, 7, 1, 9, 30, tzinfo=UTC))
    cal, vevent = parse(event_ics(event=event))
    assert str(vevent["uid"]) == f"event-{event.calendar_uid}@crosssector"
    assert vevent.decoded("dtstart").tzinfo.key == "Europe/London"
    assert vevent.decoded("dtstart").hour == 10  # 09:30 UTC is 10:30 BST
    assert vevent["dtstart"].params["TZID"] == "Europe/London"
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    assert "Cardiff City Hall" in str(vevent["location"])
    # The UID does not change when the event does; SEQUENCE goes up so calendars replace the entry.
    Event.objects.filter(pk=event.pk).update(venue_name="Swansea Arena")
    BookingFactory(event=event)
    services.event_update_notify(event=event, changed_fields=["venue_name"])
    event.refresh_from_db()
    _, changed = parse(event_ics(event=event))
    assert changed["uid"] == vevent["uid"]
    assert changed["sequence"] == 1
    assert "Swansea Arena" in str(changed["location"])


def test_joining_link_is_only_in_the_attendees_calendar_file():
    event = EventFactory(format=Event.Format.ONLINE, venue_name="", online_url="https://meet.example.org/room-42")
    _, public = parse(event_ics(event=event))
    assert "room-42" not in public.to_ical().decode()
    _, private = parse(event_ics(event=event, include_join_link=True))
    assert "https://meet.example.org/room-42" in str(private["location"])


def test_reminder_sweep_sends_one_reminder_per_confirmed_booking_exactly_once(django_capture_on_commit_callbacks):
    start = timezone.now() + timedelta(days=3)
    event = EventFactory(starts_at=start)
    confirmed = BookingFactory(event=event)
    BookingFactory(event=event, status=Booking.Status.WAITLISTED)
    BookingFactory(event=event, status=Booking.Status.CANCELLED)
    later = BookingFactory(event=EventFactory(starts_at=start + timedelta(days=5)))

    with time_machine.travel(start - timedelta(hours=25)):
        assert event_reminders_sweep() == 0  # not yet
    with time_machine.travel(start - timedelta(hours=23)), django_capture_on_commit_callbacks(execute=True):
        assert event_reminders_sweep() == 1
        assert event_reminders_sweep() == 0  # runs again five minutes later: nothing new
    with time_machine.travel(start - timedelta(hours=2)):
        assert event_reminders_sweep() == 0
    reminders = OutboundEmail.objects.filter(idempotency_key__contains="-reminder")
    assert [r.idempotency_key for r in reminders] == [f"booking-{confirmed.pk}-reminder{reminder_key_suffix(event)}"]
    assert reminders[0].status == OutboundEmail.Status.SENT
    assert reminders[0].attachments[0]["filename"] == "event.ics"
    later.refresh_from_db()
    assert later.reminder_sent_at is None


def test_late_sweep_still_reminds_before_the_start_but_never_after(django_capture_on_commit_callbacks):
    start = timezone.now() + timedelta(days=3)
    early = BookingFactory(event=EventFactory(starts_at=start))
    missed = BookingFactory(event=EventFactory(starts_at=start - timedelta(hours=3)))
    with time_machine.travel(start - timedelta(hours=1)):  # beat was down for most of the day
        assert event_reminders_sweep() == 1
    assert OutboundEmail.objects.filter(idempotency_key__startswith=f"booking-{early.pk}-reminder").exists()
    assert not OutboundEmail.objects.filter(idempotency_key__startswith=f"booking-{missed.pk}-reminder").exists()


def test_cancelled_event_gets_no_reminder():
    start = timezone.now() + timedelta(hours=5)
    BookingFactory(event=EventFactory(starts_at=start, status=Event.Status.CANCELLED))
    assert services.reminders_send_due() == 0


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_send_each_reminder_once():
    start = timezone.now() + timedelta(hours=10)
    event = EventFactory(starts_at=start, capacity=None)
    bookings = BookingFactory.create_batch(12, event=event)
    barrier = threading.Barrier(3)
    results = []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(services.reminders_send_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sum(results) == 12
    keys = sorted(
        OutboundEmail.objects.filter(idempotency_key__contains="-reminder").values_list("idempotency_key", flat=True)
    )
    assert keys == sorted(f"booking-{b.pk}-reminder{reminder_key_suffix(event)}" for b in bookings)
    assert Booking.objects.filter(event=event, reminder_sent_at__isnull=True).count() == 0


def test_cancelling_an_event_emails_everyone_booked_or_waiting_once(django_capture_on_commit_callbacks):
    event = EventFactory(capacity=1)
    confirmed = BookingFactory(event=event)
    waiting = BookingFactory(event=event, status=Booking.Status.WAITLISTED)
    BookingFactory(event=event, status=Booking.Status.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.event_cancel(event=event) == 2
        assert services.event_cancel(event=event) == 0
    emails = OutboundEmail.objects.filter(idempotency_key__endswith="-event_cancelled")
    assert sorted(e.to for e in emails) == sorted([confirmed.user.email, waiting.user.email])
    to_confirmed = emails.get(to=confirmed.user.email)
    assert "METHOD:CANCEL" in __import__("base64").b64decode(to_confirmed.attachments[0]["content_b64"]).decode()
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED


def test_changing_time_or_place_emails_booked_people_with_the_new_details_and_other_changes_do_not():
    event = EventFactory()
    booking = BookingFactory(event=event)
    assert services.event_update_notify(event=event, changed_fields=["summary", "description"]) == 0
    new_start = event.starts_at + timedelta(days=1)
    Event.objects.filter(pk=event.pk).update(starts_at=new_start, ends_at=new_start + timedelta(hours=2))
    assert services.event_update_notify(event=event, changed_fields=["starts_at", "ends_at"]) == 1
    email = OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-event_changed-1")
    local = timezone.localtime(new_start)
    assert format_datetime(local, weekday=True) in email.body_text  # "Friday 17 November 2023, 5:00pm"
    # A second change is a second email, not swallowed by the first one's key.
    assert services.event_update_notify(event=event, changed_fields=["venue_name"]) == 1
    assert OutboundEmail.objects.filter(idempotency_key=f"booking-{booking.pk}-event_changed-2").exists()


def test_publishing_a_hub_event_emails_followers_once_with_an_unfollow_link():
    from hubs.services import hub_follow

    event = EventFactory(status=Event.Status.DRAFT)
    follower, other_hub_follower = person(), person()
    hub_follow(hub=event.hub, user=follower)
    hub_follow(hub=EventFactory().hub, user=other_hub_follower)
    services.event_publish(event=event)
    services.event_publish(event=event)
    [email] = OutboundEmail.objects.filter(idempotency_key__startswith=f"event-{event.pk}-published")
    assert email.to == follower.email
    assert "/hubs/unfollow/" in email.body_text
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED and event.published_at


def test_emails_are_plain_text_without_html_escaping():
    event = EventFactory(title="Data & AI: what's next")
    booking = services.booking_create(event=event, user=person(full_name="Siân O'Neill"))
    email = OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-confirmed")
    assert "Dear Siân O'Neill" in email.body_text
    assert "Event: Data & AI: what's next" in email.body_text
    assert "Data &amp; AI" in email.body_html


def _calendar(email) -> Calendar:
    import base64

    (attachment,) = [a for a in email.attachments if a["filename"].endswith(".ics")]
    assert attachment["mimetype"].startswith("text/calendar")
    return Calendar.from_ical(base64.b64decode(attachment["content_b64"]))


def _vevent(calendar):
    return next(c for c in calendar.walk() if c.name == "VEVENT")


@pytest.mark.parametrize("changes_before", [0, 2])
def test_cancelling_a_booking_sends_a_calendar_cancellation_that_replaces_the_entry(changes_before):
    event = EventFactory()
    for _ in range(changes_before):  # the event moved before: the attendee's calendar holds a later SEQUENCE
        services.event_update_notify(event=event, changed_fields=["venue_name"])
    attendee = person()
    booking = services.booking_create(event=event, user=attendee)
    held = _vevent(_calendar(OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-confirmed")))

    services.booking_cancel(booking=booking)
    services.booking_cancel(booking=booking)  # twice: one email

    (cancellation,) = OutboundEmail.objects.filter(idempotency_key=f"booking-{booking.pk}-cancelled")
    calendar = _calendar(cancellation)
    cancel = _vevent(calendar)
    assert calendar["method"] == "CANCEL" and cancel["status"] == "CANCELLED"
    assert cancel["uid"] == held["uid"]
    assert cancel["sequence"] > held["sequence"]

    # Booking again gives a file above the cancellation, so the calendar takes the event back.
    again = services.booking_create(event=event, user=attendee)
    rebooked = _vevent(_calendar(OutboundEmail.objects.get(idempotency_key=f"booking-{again.pk}-confirmed")))
    assert rebooked["uid"] == held["uid"] and rebooked["sequence"] > cancel["sequence"]


def test_leaving_the_waiting_list_sends_no_calendar_file():
    event = EventFactory(capacity=1)
    services.booking_create(event=event, user=person())
    waiting = services.booking_create(event=event, user=person())
    assert waiting.status == Booking.Status.WAITLISTED
    services.booking_cancel(booking=waiting)
    email = OutboundEmail.objects.get(idempotency_key=f"booking-{waiting.pk}-cancelled")
    assert email.attachments == []
