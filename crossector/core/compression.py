"""Gzip for public pages only, because of BREACH.

BREACH recovers a secret from a compressed HTTPS response when the same response also reflects text the
attacker chooses (a search term, a query string): the compressed size leaks how much of the guess matches.
So a response is compressed only when it holds no secret at all, judged by the same rule that lets a page
into the anonymous page cache (crossector/core/caching.py): an anonymous visitor with no session or
messages cookie, a plain 200, no cookie set, no CSRF token used (Django masks the token per response as
well), no message queued, the session untouched. Everything else (every signed-in page, the admin, every
form page) goes out uncompressed here; a reverse proxy must follow the same rule (docs/security.md).
"""

from django.middleware.gzip import GZipMiddleware

from .caching import _may_store, _may_use_cache


def response_is_public(request, response) -> bool:
    """True when this response is the same for everyone and carries nothing private (see the module)."""
    return _may_use_cache(request) and _may_store(request, response)


class PublicGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if not response_is_public(request, response):
            return response
        return super().process_response(request, response)
