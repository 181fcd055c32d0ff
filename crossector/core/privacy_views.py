"""Pages for a person's data rights: "Your data" (download) and "Delete your account"."""

from allauth.account.decorators import reauthentication_required
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import privacy
from .adapters import DEVICE_COOKIE
from .forms import AccountDeleteForm

DELETED_SESSION_KEY = "account_deleted_summary"


@never_cache
@login_required
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def data(request):
    """GET: what the download holds. POST (after allauth's re-authentication when the last sign-in is not
    recent): the JSON file itself, as an attachment that no cache keeps."""
    if request.method == "GET":
        return render(request, "core/privacy_data.html")
    response = HttpResponse(
        privacy.personal_data_json(user=request.user), content_type="application/json; charset=utf-8"
    )
    filename = f"cross-sector-programme-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delete(request):
    allowed, reason = privacy.account_can_erase(user=request.user)
    form = AccountDeleteForm(request.POST or None, request=request)
    if allowed and request.method == "POST" and form.is_valid():
        summary = privacy.account_erase(user=request.user)
        logout(request)
        request.session[DELETED_SESSION_KEY] = {"erased": summary.erased, "kept": summary.kept}
        response = redirect("privacy_account_deleted")
        # The browser need not remember that it signed in to the account (the cookie holds digests of its
        # addresses); nothing else the portal set names the person.
        response.delete_cookie(DEVICE_COOKIE, samesite="Lax")
        return response
    return render(
        request,
        "core/privacy_delete.html",
        {
            "form": form,
            "allowed": allowed,
            "reason": reason,
            "summary": privacy.account_erasure_preview(user=request.user) if allowed else None,
        },
    )


@never_cache
@require_http_methods(["GET"])
def deleted(request):
    summary = request.session.get(DELETED_SESSION_KEY)
    if summary is None:
        return redirect("home")
    return render(request, "core/privacy_deleted.html", {"summary": summary})
