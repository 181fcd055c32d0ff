from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from crossector.core.caching import cache_anonymous_page
from hubs import selectors as hub_selectors
from hubs import services as hub_services
from hubs.models import Hub

from .. import selectors


@require_GET
@cache_anonymous_page
def hub_list(request):
    hubs = list(hub_selectors.hub_list())
    return render(request, "hubs/list.html", {"hubs": hubs, "nations": hub_selectors.hub_map(hubs)})


@require_GET
@cache_anonymous_page
def hub_detail(request, slug):
    try:
        hub = hub_selectors.hub_get_public(slug=slug)
    except Hub.DoesNotExist:
        raise Http404("No such hub") from None
    now = timezone.now()
    upcoming, past = selectors.hub_events(hub=hub, now=now)
    for event in upcoming:
        event.badge = selectors.event_badge(event, now=now)
    return render(
        request,
        "hubs/detail.html",
        {
            "hub": hub,
            "upcoming": upcoming,
            "past": past,
            "following": hub_selectors.hub_is_followed(hub=hub, user=request.user),
        },
    )


@login_required
@require_POST
def hub_follow(request, slug):
    hub = get_object_or_404(Hub, slug=slug, is_active=True)
    hub_services.hub_follow(hub=hub, user=request.user)
    messages.success(request, f"You are following {hub.name}. We will email you when it publishes a new event.")
    return redirect(hub)


@login_required
@require_POST
def hub_unfollow(request, slug):
    hub = get_object_or_404(Hub, slug=slug)
    hub_services.hub_unfollow(hub=hub, user=request.user)
    messages.success(request, f"You are no longer following {hub.name}.")
    return redirect(hub)


def hub_unfollow_email(request, token):
    """The link in hub emails. GET asks to confirm (link scanners must not unfollow people); POST unfollows."""
    if request.method == "POST":
        hub = hub_services.hub_unfollow_by_token(token=token)
        if hub is None:
            raise Http404("This link is not valid")
        return render(request, "hubs/unfollowed.html", {"hub": hub})
    found = hub_services.hub_unfollow_token_read(token=token)
    if found is None:
        raise Http404("This link is not valid")
    return render(request, "hubs/unfollow_confirm.html", {"hub": found[0], "token": token})
