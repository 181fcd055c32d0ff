"""The event list's page links and cached filter form: bounded however many events, and always the visitor's
own choices (events/views/listing.py, templates/includes/pagination.html)."""

import re

import pytest
from django.urls import reverse

from events.models import Event
from tests.events.factories import HubFactory
from tests.events.test_query_counts import add_events

pytestmark = pytest.mark.django_db


def page_links(html: str) -> list[str]:
    return re.findall(r'<span class="visually-hidden">Page </span>(\d+)</a>', html)


@pytest.mark.parametrize("signed_in", [False, True])
def test_page_links_stay_bounded_however_many_pages(client, user, signed_in):
    if signed_in:
        client.force_login(user)
    add_events(HubFactory(slug="wales"), 400, 0)  # about 270 upcoming: 23 pages of 12
    html = client.get(reverse("events:list"), {"page": 10}).content.decode()
    pages = int(re.search(r"(\d+) events", html).group(1)) // 12 + 1
    assert pages > 15
    assert page_links(html) == ["1", "8", "9", "10", "11", "12", str(pages)]
    assert html.count("…") == 2 and 'aria-current="page"><span class="visually-hidden">Page </span>10' in html
    last = client.get(reverse("events:list"), {"page": pages}).content.decode()
    assert page_links(last)[-1] == str(pages) and "Next<span" not in last


def test_cached_filter_form_shows_each_visitors_own_choices(client, user):
    client.force_login(user)
    hub = HubFactory(slug="wales", name="Wales hub")
    add_events(hub, 30, 0)
    online = client.get(reverse("events:list"), {"format": Event.Format.ONLINE}).content.decode()
    hub_only = client.get(reverse("events:list"), {"hub": "wales"}).content.decode()
    online_again = client.get(reverse("events:list"), {"format": Event.Format.ONLINE, "page": 2}).content.decode()
    selected_online = f'value="{Event.Format.ONLINE}" selected'
    assert selected_online in online and selected_online in online_again
    assert selected_online not in hub_only and 'value="wales" selected' in hub_only
    assert "Clear filters" in hub_only
    assert "Clear filters" not in client.get(reverse("events:list")).content.decode()
    past = client.get(reverse("events:list"), {"when": "past"}).content.decode()
    assert 'name="when" value="past"' in past
