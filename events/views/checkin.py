from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from crossector.core.access import access_decide
from crossector.core.mfa import AdminAccess, admin_access_check, admin_refusal_response

from .. import selectors, services
from ..forms import CheckInSearchForm
from ..models import Booking, Event
from ..permissions import check_in_role


def check_in(request, slug):
    """Staff at the door: find a person by name and check them in with one tap.

    A staff page: the staff door first (signed in, staff, second factor, as at the admin), then the one
    access policy for this event: programme staff, or an organiser of this event's hub."""
    access = admin_access_check(request=request)
    if access is not AdminAccess.ALLOWED:
        return admin_refusal_response(request=request, access=access)
    event = get_object_or_404(Event.objects.select_related("hub"), slug=slug)
    role, reason = check_in_role(request.user, event)
    if not access_decide(request=request, role=role, reason=reason):
        raise PermissionDenied(reason)
    if request.method == "POST":
        try:
            booking = Booking.objects.select_related("user__profile").get(pk=request.POST.get("booking"), event=event)
        except (Booking.DoesNotExist, ValueError, TypeError):
            raise Http404("No such booking for this event") from None
        try:
            services.booking_check_in(booking=booking)
        except services.BookingError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{booking.user.get_full_name()} is checked in.")
        query = request.POST.get("q", "")
        url = reverse("events:check_in", kwargs={"slug": slug})
        return redirect(f"{url}?{urlencode({'q': query})}" if query else url)
    form = CheckInSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    bookings = selectors.check_in_list(event=event, query=query)
    return render(
        request,
        "events/check_in.html",
        {
            "event": event,
            "form": form,
            "query": query,
            "bookings": bookings,
            "checked_in": sum(1 for b in bookings if b.attended_at),
        },
    )
