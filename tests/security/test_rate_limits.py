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
    assert limits["login"] == "200/10m/ip"
    assert limits["login_failed_password"] == "100/10m/ip,5/300s/key"
    assert limits["login_failed_account"] == "20/h/key"
    assert limits["login_failed_device"] == "10/15m/key"
    assert limits["login_failed"] == "5/300s/key"  # second-factor codes, per user
    assert settings.TRUSTED_PROXY_COUNT == 0  # the safe local default; production sets 1
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


# --- Sign-in limits cannot be turned against other people (docs/security.md) ---------------------------------


def _sign_in(client, email, password, *, ip="203.0.113.9", forwarded=None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)


def _signed_in(response, client) -> bool:
    return response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.parametrize("failures", [11, 40])
def test_failures_for_made_up_addresses_do_not_lock_out_someone_elses_correct_password(client, user, failures):
    for n in range(failures):
        response = _sign_in(client, f"made-up-{n}@example.org", "wrong-password")
        assert "Too many failed login attempts" not in response.content.decode()
    assert _signed_in(_sign_in(client, user.email, PASSWORD), client)


def test_failures_for_one_real_address_do_not_lock_out_another_person_at_the_same_ip(client, user):
    from tests.factories import person

    colleague = person()
    for _ in range(6):
        _sign_in(client, colleague.email, "wrong-password")
    assert "Too many failed login attempts" in _sign_in(client, colleague.email, PASSWORD).content.decode()
    assert _signed_in(_sign_in(client, user.email, PASSWORD), client)


def test_an_address_attacked_from_many_ips_waits_and_a_password_reset_lets_it_in(client, user):
    for n in range(20):
        _sign_in(client, user.email, "wrong-password", ip=f"198.51.100.{n}")
    response = _sign_in(client, user.email, PASSWORD, ip="192.0.2.1")
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert "_auth_user_id" not in client.session
    from allauth.account.adapter import get_adapter
    from django.test import RequestFactory

    request = RequestFactory().post("/accounts/password/reset/key/", REMOTE_ADDR="192.0.2.1")
    get_adapter(request)._delete_login_attempts_cached_email(request, email=user.email)
    assert _signed_in(_sign_in(client, user.email, PASSWORD, ip="192.0.2.1"), client)


@pytest.mark.parametrize("same_ip_as_the_attack", [False, True], ids=["elsewhere", "same office IP"])
def test_an_attack_on_an_address_never_locks_its_owner_out_of_a_browser_they_signed_in_from(
    client, user, same_ip_as_the_attack
):
    """The owner's own browser (known-device cookie from an earlier sign-in) counts its own failures only."""
    from django.test import Client

    home_ip = "192.0.2.77"
    assert _signed_in(_sign_in(client, user.email, PASSWORD, ip=home_ip), client)
    assert client.cookies.get("known_device") and client.cookies["known_device"]["httponly"]
    client.post("/accounts/logout/")
    attacker = Client()
    for n in range(30):  # 20 an hour per address from anywhere, 5 per (IP, address): both used up
        _sign_in(attacker, user.email, "wrong-password", ip=home_ip if same_ip_as_the_attack else f"198.51.100.{n}")
    fresh = Client()  # a browser that never signed in as this person waits, as before
    assert "Too many failed login attempts" in _sign_in(fresh, user.email, PASSWORD, ip=home_ip).content.decode()
    assert _signed_in(_sign_in(client, user.email, PASSWORD, ip=home_ip), client)


def test_a_known_device_cookie_works_only_for_its_own_account_and_cannot_be_forged(client, user):
    from django.test import Client

    from tests.factories import person

    assert _signed_in(_sign_in(client, user.email, PASSWORD), client)
    cookie = client.cookies["known_device"].value
    client.post("/accounts/logout/")
    victim = person()
    attacker = Client()
    attacker.cookies["known_device"] = cookie  # the attacker's own cookie, used on someone else's address
    for _ in range(6):
        _sign_in(attacker, victim.email, "wrong-password")
    assert "Too many failed login attempts" in _sign_in(attacker, victim.email, PASSWORD).content.decode()
    forger = Client()
    forger.cookies["known_device"] = cookie[:-3] + "abc"
    for _ in range(6):
        _sign_in(forger, user.email, "wrong-password", ip="203.0.113.50")
    assert (
        "Too many failed login attempts" in _sign_in(forger, user.email, PASSWORD, ip="203.0.113.50").content.decode()
    )


def test_a_known_browser_still_has_its_own_limit(client, user):
    assert _signed_in(_sign_in(client, user.email, PASSWORD), client)
    client.post("/accounts/logout/")
    for _ in range(10):
        _sign_in(client, user.email, "wrong-password")
    assert "Too many failed login attempts" in _sign_in(client, user.email, PASSWORD).content.decode()


def test_one_ip_has_a_ceiling_on_failures_for_any_address(client, user, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed_password": "8/10m/ip,5/300s/key"}
    for n in range(8):
        _sign_in(client, f"sprayed-{n}@example.org", "wrong-password")
    refused = _sign_in(client, user.email, PASSWORD)
    assert "Too many failed login attempts" in refused.content.decode()
    assert _signed_in(_sign_in(client, user.email, PASSWORD, ip="192.0.2.50"), client)  # another IP is unaffected


def test_a_correct_password_does_not_count_as_a_failure(client, user):
    for _ in range(8):
        assert _signed_in(_sign_in(client, user.email, PASSWORD), client)
        client.logout()


def test_a_spoofed_forwarded_for_is_ignored_when_no_proxy_is_trusted(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        _sign_in(client, user.email, "wrong-password", forwarded=f"192.0.2.{n}")
    response = _sign_in(client, user.email, PASSWORD, forwarded="192.0.2.200")
    assert "Too many failed login attempts" in response.content.decode()  # all five counted for REMOTE_ADDR


def test_behind_one_trusted_proxy_each_visitor_is_counted_by_their_own_address(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    balancer = "10.0.0.2"  # every request arrives from the load balancer
    for n in range(5):
        # The attacker makes up left-hand entries; the balancer appends the address it really saw.
        _sign_in(client, user.email, "wrong-password", ip=balancer, forwarded=f"192.0.2.{n}, 203.0.113.9")
    attacker = _sign_in(client, user.email, PASSWORD, ip=balancer, forwarded="192.0.2.77, 203.0.113.9")
    assert "Too many failed login attempts" in attacker.content.decode()
    # The person themselves, at another address behind the same balancer, signs in.
    assert _signed_in(_sign_in(client, user.email, PASSWORD, ip=balancer, forwarded="198.51.100.23"), client)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.9", None, "203.0.113.9"),
        (0, "203.0.113.9", "192.0.2.1", "203.0.113.9"),
        (1, "10.0.0.2", "198.51.100.7", "198.51.100.7"),
        (1, "10.0.0.2", "192.0.2.1, 198.51.100.7", "198.51.100.7"),
        (1, "10.0.0.2", " 192.0.2.1 ,198.51.100.7 ", "198.51.100.7"),
        (2, "10.0.0.2", "192.0.2.1, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (1, "10.0.0.2", None, "10.0.0.2"),
        (2, "10.0.0.2", "198.51.100.7", "10.0.0.2"),
        (1, "10.0.0.2", "not-an-address", "10.0.0.2"),
        (1, "10.0.0.2", "198.51.100.7:51234", "198.51.100.7"),
        (1, "10.0.0.2", "[2001:db8::1]:443", "2001:db8::1"),
        (1, "10.0.0.2", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_takes_the_rightmost_untrusted_hop(rf, settings, trusted, remote, forwarded, expected):
    from crossector.core.client_ip import client_ip

    settings.TRUSTED_PROXY_COUNT = trusted
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(rf.get("/", **extra)) == expected


def test_every_per_ip_limit_uses_client_ip(rf, settings):
    """allauth's limits (sign-in, sign-up, reset, the stash) ask the adapter, and the adapter asks client_ip."""
    from allauth.core.internal.ratelimit import get_ip

    settings.TRUSTED_PROXY_COUNT = 1
    assert get_ip(rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")) == "198.51.100.7"


def test_only_client_ip_reads_the_connection_address():
    """A limit keyed on REMOTE_ADDR or X-Forwarded-For directly would miss the trusted-proxy rule."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readers = [
        str(path.relative_to(root))
        for app in ("crossector", "hubs", "events", "awards")
        for path in (root / app).rglob("*.py")
        if any(word in path.read_text() for word in ("REMOTE_ADDR", "X_FORWARDED_FOR", "x-forwarded-for"))
    ]
    assert readers == ["crossector/core/client_ip.py"]
