"""The files browsers and crawlers ask for at the site root: /favicon.ico and /robots.txt."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

DAY = 24 * 60 * 60

# Crawlers keep to the public pages. Private pages need signing in anyway; a signatory's link (/awards/letters/)
# is a secret and must never be followed into an index. Paths only, no ids: the file is public.
ROBOTS_DISALLOW = (
    "/admin/",
    "/accounts/",
    "/awards/applications/",
    "/awards/documents/",
    "/awards/letters/",
    "/events/bookings/",
    "/network/",
    "/metrics/",
    "/health/",
)


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says; answer with the real icon."""
    path = finders.find("favicon.ico")
    try:
        if path:
            data = Path(path).read_bytes()
        else:
            with staticfiles_storage.open("favicon.ico") as handle:
                data = handle.read()
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = HttpResponse(data, content_type="image/x-icon")
    patch_cache_control(response, public=True, max_age=DAY)
    return response


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "Allow: /", ""]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=DAY)
    return response
