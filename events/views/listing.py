from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from crossector.core.caching import cache_anonymous_page
from crossector.core.paging import paged_list_context

from .. import selectors
from ..forms import EventFilterForm
from ..ics import event_ics
from ..models import Booking, Event
from ..permissions import can_check_in
from ..structured_data import event_structured_data, json_ld

PAGE_SIZE = 12


@require_GET
@cache_anonymous_page
def event_list(request):
    now = timezone.now()
    past = request.GET.get("when") == "past"
    form = EventFilterForm(request.GET or None, months=selectors.event_months(past=past, now=now))
    filters = form.cleaned_or_empty() if request.GET else {"past": False}
    events = selectors.event_list(
        past=filters["past"],
        hub=filters.get("hub"),
        area=filters.get("area"),
        format=filters.get("format") or "",
        month=filters.get("month"),
        now=now,
    )
    paginator = Paginator(events, PAGE_SIZE)
    paginator.count = selectors.event_list_count(queryset=events, filters=filters)  # a cached_property
    page = paginator.get_page(request.GET.get("page"))
    for event in page.object_list:
        event.badge = selectors.event_badge(event, now=now)
    filtered = any(filters.get(name) for name in ("hub", "area", "format", "month"))
    return render(
        request,
        "events/list.html",
        {
            "form": form,
            "page": page,
            "past": filters["past"],
            "filtered": filtered,
            **paged_list_context(request, page, filter_names=("when", *form.fields)),
        },
    )


@require_GET
@cache_anonymous_page
def event_detail(request, slug):
    try:
        event = selectors.event_get_for_page(slug=slug, user=request.user)
    except Event.DoesNotExist:
        raise Http404("No such event") from None
    now = timezone.now()
    booking = selectors.booking_for(event=event, user=request.user)
    confirmed = booking is not None and booking.status == Booking.Status.CONFIRMED
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "booking": booking,
            "action": selectors.event_action(event=event, booking=booking, now=now),
            "badge": selectors.event_badge(event, now=now),
            "show_join_link": confirmed and bool(event.online_url),
            "attendees": selectors.attendee_list(event=event) if confirmed else [],
            "is_past": event.ends_at <= now,
            "can_check_in": request.user.is_staff and can_check_in(request.user, event)[0],
            "structured_data": json_ld(event_structured_data(event=event)),
        },
    )


@require_GET
def event_calendar(request, slug):
    """The public calendar file: anyone may add a published event to their calendar."""
    event = get_object_or_404(Event.objects.exclude(status=Event.Status.DRAFT), slug=slug)
    response = HttpResponse(event_ics(event=event), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response
