"""Real concurrent HTTP booking requests from different signed-in users against a live server on
PostgreSQL. The control runs the very same requests with the event-row lock switched off and shows
that the race is real: without the lock the event is overbooked."""

import http.client
import secrets
import threading
import time
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client

from events import services
from events.models import Booking, Event
from tests.events.factories import EventFactory
from tests.factories import person

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 30
CAPACITY = 5
# Held inside the booking transaction between counting places and inserting the booking, in both
# the test and the control, so that requests genuinely overlap in the critical section.
WINDOW_SECONDS = 0.05


def signed_in_cookies(user) -> str:
    client = Client()
    client.force_login(user)
    csrf = secrets.token_hex(16)  # 32 characters: Django accepts the unmasked secret as the form token
    return f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}", csrf


def fire_concurrently(live_server_url: str, event: Event, users) -> list[int]:
    target = urlsplit(live_server_url)
    prepared = [signed_in_cookies(user) for user in users]
    barrier = threading.Barrier(len(users))
    connect_lock = threading.Lock()
    statuses: list[int] = []

    def post(cookie, csrf):
        body = urlencode({"csrfmiddlewaretoken": csrf, "dietary_requirements": "", "access_requirements": ""})
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        # Connect first (the test server's listen backlog is small), then all send at the same moment.
        with connect_lock:
            conn.connect()
        barrier.wait(timeout=30)
        conn.request(
            "POST",
            f"/events/{event.slug}/book/",
            body=body,
            headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        )
        statuses.append(conn.getresponse().status)
        conn.close()

    threads = [threading.Thread(target=post, args=args) for args in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.fixture
def slow_count(monkeypatch):
    real = services._places_taken_and_mine

    def counted_then_paused(event, user):
        counted = real(event, user)
        time.sleep(WINDOW_SECONDS)
        return counted

    monkeypatch.setattr(services, "_places_taken_and_mine", counted_then_paused)


@pytest.fixture
def crowd(db):
    event = EventFactory(capacity=CAPACITY, waiting_list_enabled=True)
    return event, [person() for _ in range(ATTEMPTS)]


def test_concurrent_bookings_never_exceed_capacity(live_server, crowd, slow_count, capsys):
    event, users = crowd
    statuses = fire_concurrently(live_server.url, event, users)
    assert statuses == [302] * ATTEMPTS  # every request was answered and redirected to the event page
    confirmed = Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED).count()
    waiting = list(Booking.objects.filter(event=event, status=Booking.Status.WAITLISTED).order_by("created_at", "pk"))
    with capsys.disabled():
        print(f"\n[concurrency] attempts={ATTEMPTS} capacity={CAPACITY} confirmed={confirmed} waiting={len(waiting)}")
    assert confirmed == CAPACITY
    assert len(waiting) == ATTEMPTS - CAPACITY
    assert Booking.objects.filter(event=event).values("user").distinct().count() == ATTEMPTS


def test_control_without_the_row_lock_the_same_requests_overbook(live_server, crowd, slow_count, monkeypatch, capsys):
    event, users = crowd
    monkeypatch.setattr(services, "_event_for_update", lambda event_id: Event.objects.get(pk=event_id))
    statuses = fire_concurrently(live_server.url, event, users)
    assert statuses == [302] * ATTEMPTS
    confirmed = Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED).count()
    with capsys.disabled():
        print(f"\n[control, no lock] attempts={ATTEMPTS} capacity={CAPACITY} confirmed={confirmed}")
    assert confirmed > CAPACITY  # the race the lock prevents
