from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crossector.core.decorators import profile_required
from crossector.core.models import Profile, User
from crossector.core.paging import paged_list_context

from . import selectors, services
from .forms import AbuseReportForm, ConnectionRequestForm, DirectoryFilterForm
from .models import ConnectionRequest


def _person_or_404(request, user_id) -> Profile:
    try:
        return selectors.directory_person_get(viewer=request.user, user_id=user_id)
    except Profile.DoesNotExist:
        raise Http404("No such person in the directory") from None


def _request_or_404(request, request_id) -> ConnectionRequest:
    try:
        return selectors.connection_request_get_for(user=request.user, request_id=request_id)
    except ConnectionRequest.DoesNotExist:
        raise Http404("No such request") from None


@profile_required
def directory(request):
    form = DirectoryFilterForm(request.GET or None)
    filters = form.filters()
    people = selectors.directory_search(viewer=request.user, **filters)
    count = selectors.directory_count(viewer=request.user, **filters)
    page = selectors.directory_page(queryset=people, page_number=request.GET.get("page"), count=count)
    return render(
        request,
        "network/directory.html",
        {
            "form": form,
            "page": page,
            **paged_list_context(request, page, filter_names=form.fields, form=form),
            "listed": request.user.profile.directory_listed,
        },
    )


@profile_required
def person_detail(request, user_id):
    person = _person_or_404(request, user_id)
    other = person.user
    is_self = other.pk == request.user.pk
    connection = None if is_self else selectors.connection_between(a=request.user, b=other)
    return render(
        request,
        "network/person.html",
        {
            "person": person,
            "is_self": is_self,
            "connection": connection,
            "email": selectors.visible_email(viewer=request.user, other=other),
        },
    )


# Refusals that mean the request's effect is already there: the two are connected, or a request waits.
REQUEST_ALREADY_MADE = ("pending", "connected")


@profile_required
def request_create(request, user_id):
    person = _person_or_404(request, user_id)
    if person.user_id == request.user.pk:
        raise Http404("You cannot connect with yourself")
    form = ConnectionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.connection_request_create(
                sender=request.user, recipient=person.user, message=form.cleaned_data["message"]
            )
        except services.NetworkError as error:
            if error.code not in REQUEST_ALREADY_MADE:
                form.add_error(None, error.message)
            else:  # a repeat (a double-click, a resubmitted form): the person's page, saying where things stand
                messages.info(request, error.message)
                return redirect("network:person", user_id=person.user_id)
        else:
            messages.success(
                request, f"Your request has been sent to {person.full_name}. We will email you if they accept."
            )
            return redirect("network:person", user_id=person.user_id)
    return render(request, "network/request_form.html", {"person": person, "form": form})


@profile_required
def request_detail(request, request_id):
    conn = _request_or_404(request, request_id)
    other = conn.other(request.user)
    return render(
        request,
        "network/request_detail.html",
        {
            "conn": conn,
            "other": other,
            "is_recipient": conn.recipient_id == request.user.pk,
            "email": selectors.visible_email(viewer=request.user, other=other),
            "other_listed": getattr(other, "profile", None) is not None and other.profile.directory_listed,
        },
    )


REPLIES = {
    "accept": (
        services.connection_request_accept,
        "You are now connected with {name}. You can both see each other's email address.",
    ),
    "decline": (services.connection_request_decline, "You have declined the request from {name}."),
    "withdraw": (services.connection_request_withdraw, "You have withdrawn your request to {name}."),
}


@require_POST
@profile_required
def request_reply(request, request_id, action):
    conn = _request_or_404(request, request_id)
    service, success = REPLIES[action]
    try:
        service(request=conn, user=request.user)
    except services.NetworkError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success.format(name=conn.other(request.user).get_full_name()))
    return redirect("network:request_detail", request_id=conn.pk)


@profile_required
def connections(request):
    return render(request, "network/connections.html", selectors.connections_overview(user=request.user))


def _known_or_404(request, user_id) -> User:
    try:
        return selectors.known_person_get(viewer=request.user, user_id=user_id)
    except User.DoesNotExist:
        raise Http404("No such person") from None


@profile_required
def block(request, user_id):
    try:
        other = selectors.known_person_get(viewer=request.user, user_id=user_id)
    except User.DoesNotExist:
        # A repeat (double click, second tab) after the block: the person is hidden now, so say it is done.
        try:
            already = selectors.blocked_person_get(viewer=request.user, user_id=user_id)
        except User.DoesNotExist:
            raise Http404("No such person") from None
        messages.info(request, f"You have already blocked {already.get_full_name()}.")
        return redirect("network:connections")
    if request.method == "POST":
        services.block_create(blocker=request.user, blocked=other)
        messages.success(
            request,
            f"You have blocked {other.get_full_name()}. They can no longer see you or send "
            "you requests. You can unblock them from your connections page.",
        )
        return redirect("network:connections")
    return render(request, "network/block_confirm.html", {"other": other})


@require_POST
@profile_required
def unblock(request, user_id):
    """Every id gets the same answer, back to the connections page, so it never tells whether an account
    exists: an id the person has not blocked (nobody, or anybody else) is an unblock already done."""
    try:
        other = selectors.blocked_person_get(viewer=request.user, user_id=user_id)
    except User.DoesNotExist:
        return redirect("network:connections")
    if services.block_remove(blocker=request.user, blocked=other):
        messages.success(request, f"You have unblocked {other.get_full_name()}.")
    return redirect("network:connections")


@profile_required
def report(request, user_id):
    other = _known_or_404(request, user_id)
    form = AbuseReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.abuse_report_create(reporter=request.user, reported=other, reason=form.cleaned_data["reason"])
        except services.NetworkError as exc:
            form.add_error("reason", exc.message)
            return render(request, "network/report_form.html", {"other": other, "form": form}, status=400)
        messages.success(
            request,
            "Thank you. Programme staff will look into your report. If you do not want to "
            "hear from this person again, you can also block them.",
        )
        return redirect("network:connections")
    return render(request, "network/report_form.html", {"other": other, "form": form})


@profile_required
def event_people(request, slug):
    event = selectors.event_for_people_page(slug=slug)
    if event is None:
        raise Http404("No such event")
    allowed, reason = selectors.attendee_list_access(event=event, viewer=request.user)
    context = {
        "event": event,
        "allowed": allowed,
        "reason": reason,
        "event_url": reverse("events:detail", kwargs={"slug": event.slug}),
    }
    if allowed:
        context.update(selectors.event_people_context(event=event, viewer=request.user))
    return render(request, "network/event_people.html", context)
