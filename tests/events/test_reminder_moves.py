"""The day-before reminder follows the event: moved later, it goes again before the new date, once; moved
earlier, nobody is reminded twice. Whatever moved it (the admin, a service, a bulk update)."""

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from awards.rules import UK
from crossector.core.dates import format_datetime
from crossector.core.models import OutboundEmail
from events import services
from events.models import Booking, Event
from tests.conftest import login_with_mfa
from tests.core.test_whole_minutes import admin_form_data
from tests.events.factories import BookingFactory, EventFactory

pytestmark = pytest.mark.django_db
START = datetime(2027, 7, 15, 18, 0, tzinfo=UK)  # BST


def _reminders(booking) -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(idempotency_key__startswith=f"booking-{booking.pk}-reminder").order_by("pk")
    )


def _sweep(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return services.reminders_send_due()


def _move(event: Event, starts_at: datetime) -> None:
    """A move made round the services (a bulk edit, the shell): the rule must not depend on who moved it."""
    Event.objects.filter(pk=event.pk).update(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2))
    event.refresh_from_db()


def _move_in_admin(client, event: Event, starts_at: datetime) -> None:
    url = reverse("admin:events_event_change", args=[event.pk])
    data = admin_form_data(client.get(url))
    local = timezone.localtime(starts_at, UK)
    end = local + timedelta(hours=2)
    data.update(
        starts_at_0=local.date().isoformat(),
        starts_at_1=local.strftime("%H:%M"),
        ends_at_0=end.date().isoformat(),
        ends_at_1=end.strftime("%H:%M"),
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event.refresh_from_db()
    assert event.starts_at == starts_at


@pytest.fixture
def booked():
    with time_machine.travel(START - timedelta(days=20), tick=False):
        event = EventFactory(starts_at=START, ends_at=START + timedelta(hours=2))
        return BookingFactory(event=event)


@pytest.mark.parametrize("moved_by", ["admin", "update"])
@pytest.mark.parametrize("later", [timedelta(days=7), timedelta(days=1, hours=1), timedelta(hours=30)])
def test_an_event_moved_later_after_its_reminder_is_reminded_again_before_the_new_date_once(
    client, staff_user, booked, moved_by, later
):
    event = booked.event
    assert _sweep(START - timedelta(hours=23)) == 1
    new_start = START + later
    with time_machine.travel(START - timedelta(hours=22), tick=False):
        if moved_by == "admin":
            login_with_mfa(client, staff_user)
            _move_in_admin(client, event, new_start)
        else:
            _move(event, new_start)

    assert _sweep(new_start - timedelta(hours=25)) == 0  # not yet: the new day-before has not come
    assert _sweep(new_start - timedelta(hours=23, minutes=55)) == 1
    assert _sweep(new_start - timedelta(hours=23, minutes=50)) == 0
    assert _sweep(new_start - timedelta(hours=1)) == 0
    first, second = _reminders(booked)
    assert first.idempotency_key != second.idempotency_key
    new_day = timezone.localtime(new_start, UK)
    assert format_datetime(new_day, weekday=True) in second.body_text


def test_a_small_move_later_inside_the_day_before_sends_nothing_more(booked):
    assert _sweep(START - timedelta(hours=23)) == 1
    _move(booked.event, START + timedelta(minutes=30))  # the reminder already went within a day of the new start
    assert _sweep(START - timedelta(hours=20)) == 0
    assert len(_reminders(booked)) == 1


@pytest.mark.parametrize("earlier", [timedelta(hours=3), timedelta(hours=20), timedelta(minutes=1)])
def test_an_event_moved_earlier_after_its_reminder_is_not_reminded_twice(booked, earlier):
    assert _sweep(START - timedelta(hours=23)) == 1
    _move(booked.event, START - earlier)
    for hours_before in (22, 12, 2):
        assert _sweep(START - timedelta(hours=hours_before)) == 0
    assert len(_reminders(booked)) == 1


def test_an_event_moved_twice_is_reminded_once_per_date_it_had_a_day_before(booked):
    assert _sweep(START - timedelta(hours=23)) == 1
    second_start = START + timedelta(days=7)
    _move(booked.event, second_start)
    assert _sweep(second_start - timedelta(hours=23)) == 1
    third_start = second_start + timedelta(days=7)
    _move(booked.event, third_start)
    assert _sweep(third_start - timedelta(days=3)) == 0
    assert _sweep(third_start - timedelta(hours=23)) == 1
    assert _sweep(third_start - timedelta(hours=22)) == 0
    assert len(_reminders(booked)) == 3
    booked.refresh_from_db()
    assert booked.reminder_sent_at == third_start - timedelta(hours=23)


def test_an_event_moved_before_any_reminder_is_reminded_once_for_the_new_date(booked):
    _move(booked.event, START + timedelta(days=7))
    assert _sweep(START - timedelta(hours=23)) == 0  # the old day-before: nothing
    assert _sweep(START + timedelta(days=6, hours=1)) == 1
    assert _sweep(START + timedelta(days=6, hours=2)) == 0
    assert len(_reminders(booked)) == 1


def test_only_the_moved_event_is_reminded_again(booked):
    other = BookingFactory(event=EventFactory(starts_at=START, ends_at=START + timedelta(hours=2)))
    assert _sweep(START - timedelta(hours=23)) == 2
    _move(booked.event, START + timedelta(days=2))
    assert _sweep(START + timedelta(days=1, hours=1)) == 1
    assert (len(_reminders(booked)), len(_reminders(other))) == (2, 1)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_after_a_move_remind_each_booking_once():
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=10)
    event = EventFactory(starts_at=start - timedelta(days=7), ends_at=start - timedelta(days=7, hours=-2))
    bookings = BookingFactory.create_batch(8, event=event)
    Booking.objects.filter(event=event).update(reminder_sent_at=start - timedelta(days=8))  # the old date's
    _move(event, start)
    barrier, results = threading.Barrier(3), []

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
    assert sum(results) == 8
    assert all(len(_reminders(b)) == 1 for b in bookings)
