"""The portal during an outage of one of its parts: Redis (the cache) or PostgreSQL.

Found by the fault drills (bench/drills, docs/reliability.md): with Redis stopped, Django's RedisCache
raised on sign-in (allauth's rate limits live in the cache) and the page was a 500; with PostgreSQL
restarting, every request was a plain 500. Now the cache degrades to "empty" and a database outage
answers 503 with Retry-After and no traceback.
"""

import pytest
import redis
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from crossector.core import services
from crossector.core.cache import FailSoftRedisCache
from tests.conftest import port_nothing_listens_on
from tests.factories import person

NOTHING_LISTENS = f"redis://127.0.0.1:{port_nothing_listens_on()}/0"
TIMEOUTS = {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}


def test_plain_redis_cache_raises_when_redis_is_unreachable():
    """The control: what the portal used before, and why sign-in was a 500 during the drill."""
    with pytest.raises(redis.exceptions.ConnectionError):
        RedisCache(NOTHING_LISTENS, TIMEOUTS).get("key")


def test_fail_soft_cache_misses_and_drops_writes_when_redis_is_unreachable():
    cache = FailSoftRedisCache(NOTHING_LISTENS, TIMEOUTS)
    assert cache.get("key", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("lock", True) is True  # allauth's rate-limit lock must not spin and refuse
    assert cache.set("key", 1) is None
    assert cache.has_key("key") is False
    assert cache.delete("key") is False
    with pytest.raises(ValueError):
        cache.incr("counter")


def test_fail_soft_cache_behaves_normally_when_redis_answers():
    cache = FailSoftRedisCache("redis://127.0.0.1:6379/13", TIMEOUTS)
    cache.set("outage-test", {"n": 1}, 30)
    assert cache.get("outage-test") == {"n": 1}
    assert cache.add("outage-test", "other") is False  # a real add still refuses an existing key
    cache.delete("outage-test")
    assert cache.get("outage-test") is None


@pytest.mark.django_db
def test_sign_in_works_while_the_cache_is_down(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "crossector.core.cache.FailSoftRedisCache", "LOCATION": NOTHING_LISTENS, **TIMEOUTS}
    }
    user = person(email="outage@example.org")
    user.set_password("a-long-password-1")
    user.save()
    response = client.post("/accounts/login/", {"login": "outage@example.org", "password": "a-long-password-1"})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


@pytest.mark.django_db(transaction=True)
def test_database_unreachable_answers_503_without_traceback(client, monkeypatch):
    client.raise_request_exception = False
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", "5999")  # nothing listens: connection refused
    try:
        response = client.get("/events/")
    finally:
        connection.close()
        monkeypatch.undo()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "the service is unavailable" in body
    assert "Traceback" not in body and "OperationalError" not in body


@pytest.mark.django_db
def test_any_other_error_is_still_a_500(client, monkeypatch):
    client.raise_request_exception = False

    def broken(**kwargs):
        raise RuntimeError("a bug, not an outage")

    monkeypatch.setattr("crossector.core.selectors.home_context", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert "a problem with the service" in response.content.decode()


def test_retry_backoff_follows_the_configured_base_and_cap(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 5
    settings.OUTBOX_RETRY_MAX_SECONDS = 30
    assert [services.retry_delay(n) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 30, 30]
