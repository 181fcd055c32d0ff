import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import cookies, health, retention, selectors, services
from .caching import cache_anonymous_page
from .forms import ProfileForm
from .privacy import Held, held


@cache_anonymous_page
def home(request):
    return render(request, "core/home.html", selectors.home_context())


def privacy(request):
    # The retention table comes from the periods the sweeps enforce (crossector.core.retention.PERIODS).
    # What deletion erases and keeps, and what the download leaves out, come from the same declarations the
    # deletion page, the download and the marker-search test use (crossector.core.privacy.Held).
    return render(
        request,
        "core/privacy.html",
        {
            "retention_rows": retention.notice_rows(),
            "erased_on_deletion": held(Held.ERASED),
            "kept_after_deletion": held(Held.KEPT),
            "left_out_of_download": held(Held.NOT_IN_DOWNLOAD),
            # Cookies and browser storage, declared with the settings that set them (crossector.core.cookies).
            "cookies": cookies.cookies(),
            "local_storage": cookies.LOCAL_STORAGE,
        },
    )


def accessibility(request):
    return render(request, "core/accessibility.html")


@login_required
def profile(request):
    profile = services.profile_get_or_create(user=request.user)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=profile)
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile has been saved.")
            return redirect(next_url or "profile")
    else:
        form = ProfileForm(instance=profile)
    return render(
        request,
        "core/profile.html",
        {"form": form, "next": next_url, "welcome": not profile.is_complete},
    )


@never_cache
@require_GET
def health_view(request):
    checks = {"database": health.check_database(), "broker": health.check_broker()}
    failing = {name: error for name, error in checks.items() if error}
    body = {"status": "ok" if not failing else "unavailable"}
    body.update({name: (error or "ok") for name, error in checks.items()})
    if not checks["database"]:
        # Reported, never failing: a slow outbox is no reason for a load balancer to drop this node. The age
        # only; counts are for /metrics/, behind its token.
        body["outbox_oldest_age_seconds"] = selectors.outbox_figures().oldest_age_seconds
    return JsonResponse(body, status=503 if failing else 200)


def bad_request(request, exception):
    """A form too large (or with too many fields) to read gets a page that says so; other 400s Django's."""
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
    from django.views.defaults import bad_request as default_bad_request

    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent):
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = ""
        context = {"limit_mb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024), "back": back}
        return render(request, "form_too_large.html", context, status=413)
    return default_bad_request(request, exception)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # Django calls this inside its exception handler, so sys.exc_info() is the error being handled.
    # The database being unreachable (restart, failover) is an outage, not a bug: say so with a 503
    # and Retry-After, which load balancers and people both understand. Neither page touches the database.
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "30"
        return response
    return render(request, "500.html", status=500)
