"""Two-factor authentication in front of the admin: the one place that decides who may open it.

The admin opens only for an active staff user (programme staff, reviewers, hub organisers) who has an
authenticator app (TOTP) set up and has used it, or one of their recovery codes, in this session.
"""

from __future__ import annotations

import enum
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from crossector.core.access import Assurance, assurance_of


class AdminAccess(enum.Enum):
    ANONYMOUS = "anonymous"
    NOT_STAFF = "not_staff"
    NEEDS_SETUP = "needs_setup"
    NEEDS_SECOND_STEP = "needs_second_step"
    ALLOWED = "allowed"


def admin_access_check(*, request: HttpRequest) -> AdminAccess:
    """Where this request stands at the admin's door; `ALLOWED` only after both factors in this session.

    Worked out once per request (the admin asks again through `has_permission` while rendering).
    """
    cached = getattr(request, "_admin_access", None)
    if cached is None:
        cached = request._admin_access = _admin_access(request)
    return cached


def second_factor_required(user) -> bool:
    """Whether this account must pass the second factor before it sees anyone else's data.

    Every active staff account: programme staff, reviewers and hub organisers are all `is_staff`. Asked at
    every request, so an account made staff later is covered from its next page.
    """
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def second_factor_missing(user) -> bool:
    """The account needs the second factor and has no authenticator app yet.

    In this state a password is all the account has, so setting the app up takes more than the password: the
    emailed link of `crossector.core.mfa_enrolment`, and the account may not change its email addresses.
    """
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import is_mfa_enabled

    return second_factor_required(user) and not is_mfa_enabled(user, [Authenticator.Type.TOTP])


def _admin_access(request: HttpRequest) -> AdminAccess:
    user = request.user
    if not user.is_authenticated:
        return AdminAccess.ANONYMOUS
    if not second_factor_required(user):
        return AdminAccess.NOT_STAFF
    if second_factor_missing(user):
        return AdminAccess.NEEDS_SETUP
    if assurance_of(request) < Assurance.SECOND_FACTOR:
        return AdminAccess.NEEDS_SECOND_STEP
    return AdminAccess.ALLOWED


def url_with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def admin_refusal_response(*, request: HttpRequest, access: AdminAccess) -> HttpResponse:
    """Send someone the admin turned away to the step they are missing, saying why."""
    next_url = request.get_full_path() if request.method == "GET" else reverse("admin:index")
    if access is AdminAccess.ANONYMOUS:
        return HttpResponseRedirect(url_with_next(reverse("account_login"), next_url))
    if access is AdminAccess.NOT_STAFF:
        return TemplateResponse(request, "admin/staff_only.html", status=403)
    if access is AdminAccess.NEEDS_SETUP:
        request.session[ADMIN_NEXT_SESSION_KEY] = next_url
        messages.info(
            request,
            "The staff admin needs two-factor authentication. Set it up now; you will go on to the admin afterwards.",
        )
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
    messages.info(request, "Enter a code from your authenticator app to open the staff admin.")
    return HttpResponseRedirect(url_with_next(reverse("mfa_reauthenticate"), next_url))


# Where a staff member sent to set up two-factor authentication was going: the recovery codes page,
# the last step of the setup, offers it as "Continue to the admin".
ADMIN_NEXT_SESSION_KEY = "admin_after_mfa_setup"


def admin_next_url(*, request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    url = request.session.get(ADMIN_NEXT_SESSION_KEY) or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return reverse("admin:index")
    return url


def record_mfa_on_activation(sender, request, user, authenticator, **kwargs) -> None:
    """Typing a valid code to activate the app proves the second factor, as a sign-in with it would.

    Without this, a staff member who has just set up the app would be asked for another code at once.
    """
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator

    if request is None or authenticator.type != Authenticator.Type.TOTP:
        return
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type, activated=True)
