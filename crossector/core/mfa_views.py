"""allauth's two-factor and email-address pages behind the portal's enrolment rule (`mfa_enrolment`).

Each view here has the route and name of the allauth view it wraps and is listed before allauth's URLs
(crossector/core/account_urls.py), so every link to those pages, allauth's own included, reaches the gate.
"""

from __future__ import annotations

from functools import wraps

from allauth.account import views as account_views
from allauth.core.internal import ratelimit
from allauth.mfa.recovery_codes import views as recovery_code_views
from allauth.mfa.totp import views as totp_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from . import mfa_enrolment as enrolment
from .access import Assurance, assurance_of
from .mfa import second_factor_missing, second_factor_required, url_with_next


def activate_totp(request: HttpRequest) -> HttpResponse:
    """allauth's set-up page (it shows the secret key), opened for an account that needs the second factor
    and has none only after its emailed link was opened in this session."""
    user = request.user
    if user.is_authenticated and second_factor_missing(user):
        if not enrolment.enrolment_proof_valid(session=request.session, user=user):
            return redirect("mfa_enrolment_email")
        response = totp_views.activate_totp(request)
        if not second_factor_missing(user):  # the app is set up: the proof has done its job
            enrolment.enrolment_proof_clear(session=request.session)
        return response
    return totp_views.activate_totp(request)


@require_http_methods(["GET", "POST"])
def enrolment_email(request: HttpRequest) -> HttpResponse:
    """ "Check your email": send the account a one-time link to its primary verified address (POST)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = request.user
    if not second_factor_missing(user):
        return redirect("mfa_activate_totp")
    address = enrolment.enrolment_address(user=user)
    status = 200
    if request.method == "POST" and address:
        if ratelimit.consume(request, app=enrolment.RATE_APP, action=enrolment.RATE_ACTION, user=user):
            enrolment.enrolment_link_send(user=user, address=address)
            messages.success(
                request,
                f"We have sent a link to {address}. Open it in this browser within "
                f"{enrolment.LINK_MAX_AGE // 60} minutes.",
            )
            return redirect("mfa_enrolment_email")
        messages.error(
            request,
            "You have asked for 3 links in the last hour, the most we send. Use the newest link we sent, "
            "or try again in an hour.",
        )
        status = 429
    return TemplateResponse(
        request,
        "mfa/enrolment_email.html",
        {"address": address, "minutes": enrolment.LINK_MAX_AGE // 60, "contact_email": settings.CONTACT_EMAIL},
        status=status,
    )


def enrolment_link_open(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: opens the set-up page for PROOF_MAX_AGE when opened signed in as its account."""
    if not request.user.is_authenticated:
        messages.info(
            request,
            "Sign in first to the account the email was sent to. The link will then open; it has not been used.",
        )
        return redirect_to_login(request.get_full_path())
    user = request.user
    refusal = enrolment.enrolment_link_check(user=user, token=token)
    if refusal is None and not second_factor_missing(user):
        messages.info(request, "You do not need this link any more: nothing is waiting for it on your account.")
        return redirect("mfa_index")
    if refusal is None:
        refusal = enrolment.enrolment_link_redeem(user=user, token=token)
    if refusal is not None:
        return TemplateResponse(
            request,
            "mfa/enrolment_link_refused.html",
            {
                "reason": refusal.value,
                "refusal": refusal.name,
                "other_account": refusal is enrolment.LinkRefusal.OTHER_ACCOUNT,
            },
            status=403,
        )
    enrolment.enrolment_proof_store(session=request.session, user=user)
    messages.success(request, "Thank you: that confirms it is you. Now set up your authenticator app.")
    return redirect("mfa_activate_totp")


def _second_factor_in_session(view):
    """For an account that needs the second factor: this page only once it was used in this session.

    Keeps a password-only session (one signed in before the app was set up elsewhere) from seeing or renewing
    recovery codes or turning the app off: codes seen that way would work as a second factor later.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if user.is_authenticated and second_factor_required(user) and assurance_of(request) < Assurance.SECOND_FACTOR:
            if second_factor_missing(user):
                return redirect("mfa_activate_totp")
            messages.info(request, "Enter a code from your authenticator app first.")
            return HttpResponseRedirect(url_with_next(reverse("mfa_reauthenticate"), request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapper


deactivate_totp = _second_factor_in_session(totp_views.deactivate_totp)
view_recovery_codes = _second_factor_in_session(recovery_code_views.view_recovery_codes)
generate_recovery_codes = _second_factor_in_session(recovery_code_views.generate_recovery_codes)
download_recovery_codes = _second_factor_in_session(recovery_code_views.download_recovery_codes)


def email_addresses(request: HttpRequest) -> HttpResponse:
    """allauth's email-address page, closed to an account that needs the second factor until it has used it in
    this session: otherwise a stolen password could send the set-up link to the thief's address."""
    user = request.user
    if user.is_authenticated and second_factor_required(user) and assurance_of(request) < Assurance.SECOND_FACTOR:
        return TemplateResponse(
            request,
            "account/email_locked.html",
            {
                "missing": second_factor_missing(user),
                "address": user.email,
                "contact_email": settings.CONTACT_EMAIL,
            },
            status=403,
        )
    return account_views.email(request)
