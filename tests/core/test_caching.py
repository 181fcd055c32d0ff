"""What the anonymous page cache refuses to store or serve, and the benchmark baseline view being off."""

import importlib

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.urls import Resolver404, clear_url_caches, resolve

from crossector.core import caching

pytestmark = pytest.mark.django_db

calls = []


@caching.cache_anonymous_page
def counting_view(request):
    calls.append(request.path)
    return HttpResponse(f"render {len(calls)}")


@caching.cache_anonymous_page
def form_view(request):
    return HttpResponse(f"<input name=csrfmiddlewaretoken value={get_token(request)}>")


def anonymous(path="/page/", **cookies):
    request = RequestFactory().get(path)
    request.COOKIES.update(cookies)
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()


def test_second_anonymous_request_is_served_from_the_cache():
    assert counting_view(anonymous()).content == b"render 1"
    response = counting_view(anonymous())
    assert response.content == b"render 1" and response["X-Page-Cache"] == "hit"
    assert "Cookie" in response["Vary"]
    assert calls == ["/page/"]


def test_query_strings_are_cached_separately():
    counting_view(anonymous("/page/?when=past"))
    assert counting_view(anonymous("/page/")).content == b"render 2"


def test_bumping_the_version_after_commit_drops_every_page(django_capture_on_commit_callbacks):
    counting_view(anonymous())
    with django_capture_on_commit_callbacks(execute=True):
        caching.pages_changed()
    assert counting_view(anonymous()).content == b"render 2"


def test_version_lost_from_the_cache_never_brings_old_pages_back():
    from django.core.cache import cache

    counting_view(anonymous())
    cache.delete(caching.VERSION_KEY)  # evicted
    assert counting_view(anonymous()).content == b"render 2"


@pytest.mark.parametrize("cookie", ["sessionid", "messages"])
def test_requests_with_a_session_or_messages_cookie_bypass_the_cache(cookie):
    counting_view(anonymous())
    response = counting_view(anonymous(**{cookie: "x"}))
    assert response.content == b"render 2" and "X-Page-Cache" not in response


def test_page_with_a_csrf_token_is_never_stored():
    first = form_view(anonymous())
    second = form_view(anonymous())
    assert "X-Page-Cache" not in first and "X-Page-Cache" not in second


def test_page_that_queued_a_message_is_never_stored():
    from django.contrib import messages

    @caching.cache_anonymous_page
    def view(request):
        messages.info(request, "Hello")
        return HttpResponse("with a message")

    view(anonymous())
    assert "X-Page-Cache" not in view(anonymous())


def test_post_is_never_cached():
    request = RequestFactory().post("/page/")
    request.user = AnonymousUser()
    assert "X-Page-Cache" not in counting_view(request)


def test_benchmark_baseline_view_is_off_by_default(client, settings):
    assert settings.BENCH_BASELINE is False
    with pytest.raises(Resolver404):
        resolve("/bench/baseline/")
    assert client.get("/bench/baseline/").status_code == 404


def test_benchmark_baseline_view_is_mounted_only_with_the_setting(settings):
    import crossector.urls

    settings.BENCH_BASELINE = True
    try:
        module = importlib.reload(crossector.urls)
        assert any(str(p.pattern) == "bench/" for p in module.urlpatterns)
    finally:
        settings.BENCH_BASELINE = False
        importlib.reload(crossector.urls)
        clear_url_caches()
    with pytest.raises(Resolver404):
        resolve("/bench/baseline/")
