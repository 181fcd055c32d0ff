from django.http import HttpResponse
from django.views.decorators.http import require_http_methods


@require_http_methods(["GET", "POST"])
def baseline(request):
    """The least a request can cost: the full middleware stack (sessions, CSRF on POST, auth, messages),
    no query, no template. Every speed in docs/performance.md is a ratio to this, measured in the same run."""
    return HttpResponse("ok", content_type="text/plain")
