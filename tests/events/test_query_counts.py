"""Pages run a fixed number of queries however many events there are."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crossector.core.models import PriorityArea
from events.models import Booking, Event
from tests.events.factories import BookingFactory, EventFactory, HubFactory
from tests.factories import person

pytestmark = pytest.mark.django_db


def add_events(hub, n, start_index):
    now = timezone.now()
    events = Event.objects.bulk_create(
        [
            Event(
                hub=hub,
                title=f"Bulk event {i}",
                slug=f"bulk-event-{i}",
                status=Event.Status.PUBLISHED,
                starts_at=now + timedelta(days=(i % 300) - 100, hours=i % 24),
                ends_at=now + timedelta(days=(i % 300) - 100, hours=(i % 24) + 2),
                capacity=20 + i % 5,
                venue_name="Cardiff",
            )
            for i in range(start_index, start_index + n)
        ]
    )
    areas = list(PriorityArea.objects.all())
    Event.priority_areas.through.objects.bulk_create(
        [
            Event.priority_areas.through(event_id=e.pk, priorityarea_id=areas[i % len(areas)].pk)
            for i, e in enumerate(events)
        ]
    )
    users = [person() for _ in range(3)]
    Booking.objects.bulk_create(
        [
            Booking(event=e, user=users[i % 3], status=Booking.Status.CONFIRMED, sector="nhs")
            for i, e in enumerate(events[::10])
        ]
    )


def count(client, url, params=None):
    # Measure the rendering, not the anonymous page cache (tests/events/test_caching.py covers that).
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.fixture
def scene(client, user):
    hub = HubFactory(slug="wales")
    featured = EventFactory(hub=hub, slug="featured", capacity=50)
    for _ in range(3):
        BookingFactory(event=featured, attendee_list_consent=True)
    BookingFactory(event=featured, user=user, attendee_list_consent=True)
    add_events(hub, 9, 0)
    return hub, featured


def pages(hub, featured):
    return [
        ("event list", reverse("events:list"), None),
        ("event list, page 3", reverse("events:list"), {"page": 3}),
        ("past events filtered", reverse("events:list"), {"when": "past", "hub": "wales", "area": "genomics"}),
        ("event detail", featured.get_absolute_url(), None),
        ("hub page", hub.get_absolute_url(), None),
        ("hubs", reverse("hubs:list"), None),
        ("my bookings", reverse("events:my_bookings"), None),
    ]


@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_run_the_same_number_of_queries_with_10_and_500_events(client, user, scene, signed_in, capsys):
    hub, featured = scene
    if signed_in:
        client.force_login(user)
    page_list = [p for p in pages(hub, featured) if signed_in or p[0] != "my bookings"]
    with_10 = {name: count(client, url, params) for name, url, params in page_list}
    add_events(hub, 490, 100)
    for i in range(20):  # and more bookings for the people on these pages
        BookingFactory(
            event=Event.objects.get(slug=f"bulk-event-{100 + i * 7}"),
            user=user if i % 2 else person(),
            attendee_list_consent=True,
        )
    assert Event.objects.count() == 500
    with_500 = {name: count(client, url, params) for name, url, params in page_list}
    with capsys.disabled():
        print(
            f"\n[queries, {'signed in' if signed_in else 'anonymous'}] 10 events: {with_10}\n"
            f"[queries, {'signed in' if signed_in else 'anonymous'}] 500 events: {with_500}"
        )
    assert with_500 == with_10
