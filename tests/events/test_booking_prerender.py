"""booking_create renders its email before locking the event; what it queues must still match what happened."""

import pytest
from django.utils import timezone

from crossector.core.models import OutboundEmail
from events import services
from events.models import Booking, Event
from tests.events.factories import EventFactory
from tests.factories import person

pytestmark = pytest.mark.django_db


def test_stale_count_predicting_a_place_still_waitlists_and_sends_the_waiting_list_email():
    event = EventFactory(capacity=1, title="Cell therapy morning")
    stale = Event.objects.get(pk=event.pk)
    stale.confirmed_count = 0  # what the page counted a moment ago
    Booking.objects.create(event=event, user=person(), status=Booking.Status.CONFIRMED)

    booking = services.booking_create(event=stale, user=person())

    assert booking.status == Booking.Status.WAITLISTED
    email = OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-waitlisted")
    assert email.subject == "You are on the waiting list: Cell therapy morning" and email.attachments == []
    assert not OutboundEmail.objects.filter(idempotency_key=f"booking-{booking.pk}-confirmed").exists()


def test_event_changed_between_the_read_and_the_lock_is_emailed_as_it_is_now():
    event = EventFactory(capacity=10, title="Imaging in Cardiff")
    stale = Event.objects.get(pk=event.pk)
    Event.objects.filter(pk=event.pk).update(title="Imaging in Swansea", updated_at=timezone.now())

    booking = services.booking_create(event=stale, user=person())

    email = OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-confirmed")
    assert email.subject == "Your place is booked: Imaging in Swansea"
    assert "Imaging in Swansea" in email.body_text and "Imaging in Cardiff" not in email.body_text


def test_predicted_confirmation_is_queued_with_the_calendar_file():
    event = EventFactory(capacity=10, title="Genomics lunch")
    booking = services.booking_create(event=event, user=person())
    email = OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-confirmed")
    assert email.subject == "Your place is booked: Genomics lunch"
    assert [a["filename"] for a in email.attachments] == ["event.ics"]


def test_calendar_files_are_reused_per_event_content_and_a_change_saved_any_way_makes_a_new_one():
    from events import ics

    event = EventFactory(title="Genomics breakfast", venue_name="Leeds Hall")
    ics._event_ics.cache_clear()
    first = ics.event_ics(event=Event.objects.get(pk=event.pk), include_join_link=True)
    again = ics.event_ics(event=Event.objects.get(pk=event.pk), include_join_link=True)
    assert ics._event_ics.cache_info().hits == 1  # the second confirmation reused the file
    assert first.split("DTSTAMP")[0] == again.split("DTSTAMP")[0]
    # A queryset update bypasses updated_at and save(); the file still follows the event.
    Event.objects.filter(pk=event.pk).update(venue_name="York Hall")
    changed = ics.event_ics(event=Event.objects.get(pk=event.pk), include_join_link=True)
    assert "York Hall" in changed and "Leeds Hall" not in changed


def test_a_reused_calendar_file_is_stamped_with_the_time_it_is_handed_out():
    import time_machine
    from icalendar import Calendar

    from events.ics import event_ics

    event = EventFactory()
    with time_machine.travel("2031-03-01 09:00:00+00:00", tick=False):
        event_ics(event=event)
    with time_machine.travel("2031-03-02 10:15:30+00:00", tick=False):
        [vevent] = Calendar.from_ical(event_ics(event=event)).walk("VEVENT")
    assert vevent.decoded("dtstamp").isoformat() == "2031-03-02T10:15:30+00:00"
    assert "20000101" not in vevent.to_ical().decode()


def test_booking_post_is_a_fixed_handful_of_queries(client, django_assert_max_num_queries):
    """The booking rush sends every request down this path: session, user, profile, the event with its
    places and the person's booking, then lock, places again, insert, outbox insert. Guards against a lookup
    creeping back in (the event page's prefetch, get_or_create's four round trips). Inside the test's own
    transaction the booking's atomic block is a SAVEPOINT and RELEASE, which count here: 9 + 2. Before the
    lean path this was 16."""
    event = EventFactory(capacity=5)
    for _ in range(3):
        Booking.objects.create(event=event, user=person(), status=Booking.Status.CONFIRMED)
    client.force_login(person())
    with django_assert_max_num_queries(11):
        response = client.post(f"/events/{event.slug}/book/", {"dietary_requirements": ""})
    assert response.status_code == 302
    assert Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED).count() == 4


def test_queueing_the_same_email_twice_keeps_one_row_and_dispatches_once(django_capture_on_commit_callbacks):
    from crossector.core.services import email_queue

    with django_capture_on_commit_callbacks() as callbacks:
        first = email_queue(to="a@example.org", subject="Hello", body_text="Hi", idempotency_key="test-once")
        second = email_queue(to="a@example.org", subject="Hello again", body_text="Hi", idempotency_key="test-once")
    assert first.pk == second.pk and second.subject == "Hello"
    assert OutboundEmail.objects.filter(idempotency_key="test-once").count() == 1
    assert len(callbacks) == 1
    stored = OutboundEmail.objects.get(pk=first.pk)
    assert stored.status == OutboundEmail.Status.QUEUED and stored.attempts == 0 and stored.message_id
