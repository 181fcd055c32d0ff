import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from hubs.models import HubFollow
from tests.e2e.conftest import assert_accessible, outbox_link
from tests.events.factories import EventFactory, HubFactory
from tests.factories import person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_follow_a_hub_get_the_new_event_email_and_unfollow_from_it(live_server, page):
    from events import services

    hub = HubFactory(name="Wales hub", slug="wales")
    user = person(full_name="Owen Follower")
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(live_server.url + "/hubs/")
    page.get_by_role("link", name="Wales: Wales hub").click()  # the map link
    expect(page.get_by_role("heading", level=1)).to_have_text("Wales hub")
    page.get_by_role("button", name="Follow this hub").click()
    expect(page.get_by_role("status")).to_contain_text("You are following Wales hub")
    assert_accessible(page, "hub page, following")

    services.event_publish(event=EventFactory(hub=hub, status="draft", title="New Welsh event"))
    link = outbox_link(user.email, r"https?://[^/\s]+(/hubs/unfollow/\S+/)")
    page.context.clear_cookies()  # the link works without signing in
    page.goto(live_server.url + link)
    assert_accessible(page, "unfollow confirmation")
    page.get_by_role("button", name="Stop following").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("You no longer follow Wales hub"))
    assert not HubFollow.objects.filter(user=user).exists()
