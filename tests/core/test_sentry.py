"""Errors reach Sentry when SENTRY_DSN is set, tagged with the request id, with nothing personal attached."""

import json

import pytest
import sentry_sdk
from django.test import Client
from sentry_sdk.transport import Transport

from crossector.core.sentry import sentry_init
from tests.factories import person

pytestmark = pytest.mark.django_db


class Kept(Transport):
    """Keeps the events instead of sending them."""

    events: list = []

    def capture_envelope(self, envelope):
        event = envelope.get_event()
        if event is not None:
            Kept.events.append(event)


@pytest.fixture
def sentry_events():
    Kept.events = []
    sentry_init(dsn="https://public@sentry.example.invalid/1", environment="test", release="r1", transport=Kept)
    try:
        yield Kept.events
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # no DSN: reporting off again for the other tests


def test_a_failing_view_is_reported_with_the_request_id_and_nothing_personal(sentry_events, settings):
    settings.ROOT_URLCONF = "tests.core.urls_failing"
    client = Client(raise_request_exception=False)
    client.force_login(person(email="ffion@example.org", full_name="Ffion Aderyn"))
    response = client.post(
        "/fails/?q=Ffion+Aderyn",
        {"bio": "Ffion's private note", "password": "hunter2-secret"},
        HTTP_REFERER="https://portal.example/network/?q=Ffion",
        HTTP_USER_AGENT="ffion-laptop",
    )
    assert response.status_code == 500
    sentry_sdk.flush()
    [event] = sentry_events
    assert event["tags"]["request_id"] == response["X-Request-ID"]
    assert event["exception"]["values"][-1]["value"] == "the view failed"
    assert event["transaction"] == "/fails/" and event["environment"] == "test" and event["release"] == "r1"
    dumped = json.dumps(event).lower()
    for personal in ("ffion", "aderyn", "hunter2", "sessionid", "csrftoken", "portal.example"):
        assert personal not in dumped, personal
    assert "user" not in event or not event["user"].get("email")


def test_no_dsn_means_no_reporting(settings):
    assert settings.SENTRY_DSN == ""
    assert sentry_sdk.get_client().dsn is None and sentry_sdk.get_client().transport is None
