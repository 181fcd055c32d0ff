"""Whole-page caching of public pages for anonymous visitors, in the shared (Redis) cache.

Why: the public pages (home, events, an event, hubs, a hub, calls, a call) are what a crowd loads when an
event opens or a deadline nears, and anonymous visitors all see the same page.

Rules that keep it safe:

- **Only anonymous visitors without a session.** A request carrying a session or messages cookie (anyone
  signed in, or mid-way through signing up or out) never reads or writes the cache, so a signed-in page is
  never stored and nobody signed in is served an anonymous one.
- **Only pages that are the same for everyone.** A response is stored only when it is a plain 200 that sets
  no cookie, queued no message, did not touch the session and did not use the CSRF token (a form's token is
  per visitor). Served pages still go through every middleware; they say ``Vary: Cookie``.
- **Invalidation by version.** Every key holds one version number; any save or delete of the public data
  (events, bookings, hubs and their partners and contacts, calls and their FAQs, priority areas), from a
  service, the admin or a shell, bumps it after the transaction commits, so the next request renders afresh.
  Entries also expire after ``PAGE_CACHE_SECONDS``, which bounds how late a time-based change (a call
  closing, an event starting) can show.
- **Never the source of truth.** Places left on a cached page are only a display; booking counts places in
  the database under the event's row lock (events/services.py), whatever any page said.
"""

import logging
import time
from functools import wraps

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)

VERSION_KEY = "pages:version"
# Models whose rows appear on the cached public pages. Labels, not imports: the core imports no app.
PUBLIC_MODELS = (
    "events.Event",
    "events.Booking",
    "hubs.Hub",
    "hubs.Partner",
    "hubs.Contact",
    "awards.AwardCall",
    "awards.CallFAQ",
    "core.PriorityArea",
)
MAX_PATH = 300


def _ttl() -> int:
    return getattr(settings, "PAGE_CACHE_SECONDS", 30)


def pages_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh, ever-larger number: if the key is ever evicted, no old page can come back.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not there (evicted or never set): start again above every earlier number
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)
    except Exception:  # noqa: BLE001 - the cache is down; entries expire by themselves
        logger.warning("Could not bump the page cache version.")


def pages_changed() -> None:
    """Public data changed: drop every cached page once the current transaction commits."""
    transaction.on_commit(_bump)


def _on_change(sender, **kwargs) -> None:
    pages_changed()


def connect_signals() -> None:
    """Called from the core app's ready(): watch the public models of the apps that are installed."""
    for label in PUBLIC_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        post_save.connect(_on_change, sender=model, dispatch_uid=f"page-cache-save-{label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"page-cache-delete-{label}")
        for field in model._meta.many_to_many:
            m2m_changed.connect(_on_change, sender=field.remote_field.through, dispatch_uid=f"page-cache-{field}")


def _may_use_cache(request) -> bool:
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and len(request.get_full_path()) <= MAX_PATH
    )


def _may_store(request, response) -> bool:
    storage = getattr(request, "_messages", None)
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (storage is not None and getattr(storage, "added_new", False))
        and not (session is not None and session.modified)
        and not (user is not None and user.is_authenticated)
    )


def _key(request, version: int) -> str:
    # Keyed with the secret key: a query string can hold what someone typed, and a plain digest could be guessed.
    digest = salted_hmac("page-cache", request.get_full_path()).hexdigest()
    return f"page:{version}:{digest}"


def cache_anonymous_page(view):
    """Serve this public page from the cache to anonymous visitors (see the module docstring)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _may_use_cache(request):
            return view(request, *args, **kwargs)
        try:
            key = _key(request, pages_version())
            hit = cache.get(key)
        except Exception:  # noqa: BLE001 - a cache outage must not take the public pages down
            logger.warning("Page cache unavailable; rendering %s.", request.path)
            return view(request, *args, **kwargs)
        if hit is not None:
            response = HttpResponse(hit["content"], content_type=hit["content_type"])
            response["X-Page-Cache"] = "hit"
            patch_vary_headers(response, ("Cookie",))
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if _may_store(request, response):
            try:
                cache.set(key, {"content": response.content, "content_type": response["Content-Type"]}, _ttl())
            except Exception:  # noqa: BLE001
                logger.warning("Could not store %s in the page cache.", request.path)
            response["X-Page-Cache"] = "miss"
        patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper
