from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from crossector.core.caching import cache_anonymous_page
from hubs.network.selectors import hosts_for_call

from .. import rules, selectors, services
from ..forms import EligibilityForm
from ..models import AwardCall


@cache_anonymous_page
def call_list(request):
    return render(request, "awards/call_list.html", selectors.call_lists())


@cache_anonymous_page
def call_detail(request, slug):
    try:
        call = selectors.call_detail(slug)
    except AwardCall.DoesNotExist:
        raise Http404 from None
    now = timezone.now()
    eligibility = EligibilityForm(request.GET if "employed" in request.GET else None)
    reasons = eligibility.reasons() if eligibility.is_bound and eligibility.is_valid() else None
    application = None
    can_apply, why_not = (False, "")
    if request.user.is_authenticated:
        application = selectors.application_for_user(call=call, user=request.user)
        if application is None:
            can_apply, why_not = selectors.call_can_apply(user=request.user, call=call, now=now)
    return render(
        request,
        "awards/call_detail.html",
        {
            "call": call,
            "state": call.state(now),
            "deadline": rules.format_uk(call.closes_at),
            "opens": rules.format_uk(call.opens_at),
            "time_left": call.closes_at - now,
            "eligibility": eligibility,
            "reasons": reasons,
            "application": application,
            "hosts": hosts_for_call(viewer=request.user, call=call),
            "can_apply": can_apply,
            "why_not": why_not,
        },
    )


@login_required
@require_POST
def notify_me(request):
    services.call_open_notice_request(user=request.user)
    messages.success(request, "We will email you when the next call opens.")
    return redirect("awards:list")
