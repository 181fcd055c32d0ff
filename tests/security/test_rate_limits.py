"""Rate limits on sign-in, sign-up, password reset and connection requests, each with a clear message.

The counters live in the Redis cache; the autouse fixture in tests/conftest.py empties it between tests.
"""

import pytest
from django.conf import settings

from crossector.core.models import OutboundEmail, User
from hubs.network.models import ConnectionRequest
from tests.factories import PASSWORD
from tests.network.factories import member

pytestmark = pytest.mark.django_db


def test_the_limits_are_the_documented_ones():
    limits = settings.ACCOUNT_RATE_LIMITS
    assert limits["login_failed"] == "10/m/ip,5/300s/key"
    assert limits["signup"] == "10/m/ip,30/h/ip"
    assert limits["reset_password"] == "10/m/ip,3/15m/key"
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()


def test_failed_sign_ins_are_limited_per_account_with_a_clear_message(client, user):
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": user.email, "password": "wrong-password"})
        assert "Too many failed login attempts" not in response.content.decode()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert "_auth_user_id" not in client.session  # even the right password waits


def test_sign_ups_are_limited_per_connection_with_a_clear_page(client):
    for n in range(10):
        client.post(
            "/accounts/signup/",
            {"email": f"new{n}@example.org", "password1": "long-enough-pass-42", "password2": "long-enough-pass-42"},
        )
    response = client.post(
        "/accounts/signup/",
        {"email": "eleventh@example.org", "password1": "long-enough-pass-42", "password2": "long-enough-pass-42"},
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "wait a few minutes" in response.content.decode()
    assert not User.objects.filter(email="eleventh@example.org").exists()
    assert User.objects.filter(email__startswith="new").count() == 10


def test_password_reset_emails_to_one_address_are_limited(client, user):
    for _ in range(3):
        client.post("/accounts/password/reset/", {"email": user.email})
    sent = OutboundEmail.objects.filter(to=user.email).count()
    assert sent == 3
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert OutboundEmail.objects.filter(to=user.email).count() == sent


def test_connection_requests_stop_at_the_daily_cap_with_a_clear_message(client, settings):
    settings.NETWORK_DAILY_REQUEST_CAP = 2
    sender = member()
    client.force_login(sender)
    people = [member() for _ in range(3)]
    for person in people[:2]:
        response = client.post(f"/network/people/{person.pk}/connect/", {"message": "Hello, shall we talk?"})
        assert response.status_code == 302
    response = client.post(f"/network/people/{people[2].pk}/connect/", {"message": "Hello, shall we talk?"})
    assert response.status_code == 200
    assert "You have sent 2 connection requests in the last 24 hours" in response.content.decode()
    assert "You can send more tomorrow." in response.content.decode()
    assert ConnectionRequest.objects.filter(sender=sender).count() == 2
