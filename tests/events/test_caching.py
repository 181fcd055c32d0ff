"""The anonymous page cache on the events, hubs and awards pages: invalidated by every change, never
shared between signed-in and anonymous people, and never trusted for places (crossector/core/caching.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from awards.models import AwardCall
from events import services
from events.models import Booking
from tests.events.factories import EventFactory, HubFactory
from tests.factories import person

pytestmark = pytest.mark.django_db


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), response.headers.get("X-Page-Cache")


def test_event_page_is_served_from_the_cache_until_a_booking_changes_the_places(
    client, django_capture_on_commit_callbacks
):
    event = EventFactory(capacity=3)
    url = event.get_absolute_url()
    body, state = page(client, url)
    assert "3 places left" in body and state == "miss"
    body, state = page(client, url)
    assert "3 places left" in body and state == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        services.booking_create(event=event, user=person())

    body, state = page(client, url)
    assert "2 places left" in body and state == "miss"


def test_event_list_and_home_show_an_edited_event_on_the_next_request(client, django_capture_on_commit_callbacks):
    event = EventFactory(title="Genomics breakfast")
    for url in ("/", reverse("events:list")):
        assert "Genomics breakfast" in page(client, url)[0]
        assert page(client, url)[1] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        event.title = "Genomics lunch"
        event.save()

    for url in ("/", reverse("events:list")):
        body, state = page(client, url)
        assert "Genomics lunch" in body and "Genomics breakfast" not in body and state == "miss"


def test_hub_page_shows_a_changed_hub_on_the_next_request(client, django_capture_on_commit_callbacks):
    hub = HubFactory(summary="Meet the Wales network.")
    EventFactory(hub=hub)
    url = reverse("hubs:detail", kwargs={"slug": hub.slug})
    assert "Meet the Wales network." in page(client, url)[0]
    assert page(client, url)[1] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        hub.summary = "The Wales hub, now in Swansea too."
        hub.save()

    body, state = page(client, url)
    assert "The Wales hub, now in Swansea too." in body and state == "miss"


def test_call_page_shows_a_changed_call_on_the_next_request(client, django_capture_on_commit_callbacks):
    now = timezone.now()
    call = AwardCall.objects.create(
        name="Awards 2031",
        slug="awards-2031",
        summary="First summary.",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )
    url = call.get_absolute_url()
    assert "First summary." in page(client, url)[0]
    assert page(client, url)[1] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        call.summary = "Second summary."
        call.save()

    body, state = page(client, url)
    assert "Second summary." in body and state == "miss"


def test_booking_goes_to_the_waiting_list_when_the_database_is_full_whatever_the_cached_page_says(
    client, django_capture_on_commit_callbacks
):
    event = EventFactory(capacity=1)
    url = event.get_absolute_url()
    assert "1 place left" in page(client, url)[0]
    # Fill the last place behind the cache's back (bulk_create sends no signal): the cached page is now stale.
    Booking.objects.bulk_create([Booking(event=event, user=person(), status=Booking.Status.CONFIRMED)])
    body, state = page(client, url)
    assert "1 place left" in body and state == "hit"

    booker = person()
    client.force_login(booker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("events:book", kwargs={"slug": event.slug}), {})
    assert response.status_code == 302
    assert Booking.objects.get(event=event, user=booker).status == Booking.Status.WAITLISTED
    assert Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED).count() == 1


def test_signed_in_person_never_gets_the_anonymous_cached_page(client):
    event = EventFactory()
    url = event.get_absolute_url()
    page(client, url)
    assert page(client, url)[1] == "hit"  # the anonymous copy is in the cache

    someone = person(full_name="Carys Jones")
    client.force_login(someone)
    body, state = page(client, url)
    assert state is None and "Carys Jones" in body and "Sign out" in body


def test_signed_in_page_is_never_stored_for_anonymous_visitors(client):
    event = EventFactory()
    url = event.get_absolute_url()
    client.force_login(person(full_name="Ffion Evans"))
    assert "Ffion Evans" in page(client, url)[0]
    client.logout()
    client.cookies.clear()

    body, state = page(client, url)
    assert state == "miss" and "Ffion Evans" not in body and "Sign in" in body


def test_warm_cache_serves_public_pages_without_a_query(client, django_assert_num_queries):
    hub = HubFactory()
    event = EventFactory(hub=hub)
    urls = ["/", reverse("events:list"), event.get_absolute_url(), reverse("hubs:detail", kwargs={"slug": hub.slug})]
    for url in urls:
        with CaptureQueriesContext(connection) as cold:
            assert page(client, url)[1] == "miss"
        assert len(cold) > 0
    for url in urls:
        with django_assert_num_queries(0):
            assert page(client, url)[1] == "hit"


def test_month_filter_lists_a_new_month_as_soon_as_an_event_is_added_there(django_capture_on_commit_callbacks):
    from events.selectors import event_months

    soon = EventFactory(starts_at=timezone.now() + timedelta(days=3))
    assert len(event_months()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        later = EventFactory(starts_at=soon.starts_at + timedelta(days=70))
    months = [(m.year, m.month) for m in event_months()]
    assert len(months) == 2 and months[-1] == (later.starts_at.year, later.starts_at.month)


def test_event_list_keeps_a_long_event_that_started_long_ago_and_a_new_earlier_one(
    client, user, django_capture_on_commit_callbacks
):
    """The upcoming list's start floor and count are cached: an event still running is listed however long ago
    it started, and a newly saved event, even one starting before the cached floor, shows at once."""
    client.force_login(user)  # the uncached path: signed-in lists are never page-cached
    now = timezone.now()
    EventFactory(title="Next week's workshop", starts_at=now + timedelta(days=7))
    running = EventFactory(title="Long residency", starts_at=now - timedelta(days=20))
    type(running).objects.filter(pk=running.pk).update(ends_at=now + timedelta(days=3))
    EventFactory(title="Ended yesterday", starts_at=now - timedelta(days=1, hours=3))
    body = client.get(reverse("events:list")).content.decode()
    assert "Long residency" in body and "Next week" in body and "Ended yesterday" not in body
    with CaptureQueriesContext(connection) as warm:
        client.get(reverse("events:list"))
    assert not [q for q in warm.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    # A new event starting earlier than the cached floor, saved normally: listed and counted at once.
    with django_capture_on_commit_callbacks(execute=True):  # the version bump runs after commit
        earlier = EventFactory(title="Month-long fellowship", starts_at=now - timedelta(days=30))
    type(earlier).objects.filter(pk=earlier.pk).update(ends_at=now + timedelta(days=1))
    response = client.get(reverse("events:list"))
    body = response.content.decode()
    assert "Month-long fellowship" in body and "Long residency" in body
    assert response.context["page"].paginator.count == 3
