from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from crossector.core.decorators import profile_required

from .. import selectors, services
from ..forms import BookingForm
from ..ics import event_ics
from ..models import Booking, Event

SUCCESS = {
    Booking.Status.CONFIRMED: "Your place is booked. We have emailed you a confirmation with a calendar invite.",
    Booking.Status.WAITLISTED: "You are on the waiting list. We will email you straight away if a place comes up.",
}


@profile_required
def event_book(request, slug):
    try:
        event = selectors.event_get_for_booking(slug=slug, user=request.user)
    except Event.DoesNotExist:
        raise Http404("No such event") from None
    if event.my_booking_id:
        messages.info(request, "You have already booked this event.")
        return redirect(event)
    action = selectors.event_action(event=event, booking=None)
    if action.code not in ("book", "join_waitlist"):
        messages.error(request, action.message)
        return redirect(event)
    form = BookingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_create(event=event, user=request.user, **form.cleaned_data)
        except services.BookingError as error:
            if error.code == "already_booked":  # a double click: the first request already booked
                messages.info(request, error.message)
                return redirect(event)
            form.add_error(None, error.message)
        else:
            messages.success(request, SUCCESS[booking.status])
            return redirect(event)
    return render(request, "events/book.html", {"event": event, "form": form, "action": action})


@login_required
def my_bookings(request):
    return render(request, "events/my_bookings.html", selectors.bookings_for_user(user=request.user))


def _own_booking_or_404(request, booking_id) -> Booking:
    try:
        return selectors.booking_get_for_user(booking_id=booking_id, user=request.user)
    except Booking.DoesNotExist:
        raise Http404("No such booking") from None


@login_required
def booking_requirements(request, booking_id):
    """The person views, changes or withdraws what they told us with a booking (requirements, consents)."""
    booking = _own_booking_or_404(request, booking_id)
    if booking.status == Booking.Status.CANCELLED:
        messages.info(request, "That booking is cancelled, so we hold no requirements or consents for it.")
        return redirect("events:my_bookings")
    form = BookingForm(request.POST if request.method == "POST" else None, instance=booking)
    if request.method == "POST" and "withdraw" in request.POST:
        services.booking_consents_withdraw(booking=booking)
        messages.success(
            request,
            f"We have deleted your access requirements for {booking.event.title} and taken you off its attendee list.",
        )
        return redirect("events:my_bookings")
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_requirements_change(booking=booking, **form.cleaned_data)
        except services.BookingError as error:
            messages.info(request, error.message)
            return redirect("events:my_bookings")
        messages.success(request, f"Your requirements for {booking.event.title} are saved.")
        return redirect("events:my_bookings")
    booking.refresh_from_db()  # the form's instance holds what was typed; the page shows what is stored
    return render(
        request, "events/booking_requirements.html", {"booking": booking, "event": booking.event, "form": form}
    )


@login_required
def booking_cancel(request, booking_id):
    booking = _own_booking_or_404(request, booking_id)
    if booking.status == Booking.Status.CANCELLED:
        messages.info(request, "That booking is already cancelled.")
        return redirect("events:my_bookings")
    if request.method == "POST":
        try:
            services.booking_cancel(booking=booking)
        except services.BookingError as error:
            messages.error(request, error.message)
            return redirect(booking.event)
        was_waiting = booking.status == Booking.Status.WAITLISTED
        messages.success(
            request,
            f"You have left the waiting list for {booking.event.title}."
            if was_waiting
            else f"Your booking for {booking.event.title} is cancelled.",
        )
        return redirect("events:my_bookings")
    if booking.event.starts_at <= timezone.now():
        messages.error(request, "This event has started, so the booking can no longer be cancelled.")
        return redirect(booking.event)
    return render(request, "events/cancel.html", {"booking": booking, "event": booking.event})


@login_required
@require_GET
def booking_calendar(request, booking_id):
    """The attendee's own calendar file: it carries the joining link once the place is confirmed."""
    booking = _own_booking_or_404(request, booking_id)
    confirmed = booking.status == Booking.Status.CONFIRMED
    response = HttpResponse(
        event_ics(event=booking.event, include_join_link=confirmed), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{booking.event.slug}.ics"'
    return response
