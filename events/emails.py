"""The emails events send, all through the outbox. Each idempotency key names the action it reports."""

from django.urls import reverse

from crossector.core.services import (
    Attachment,
    RenderedEmail,
    email_queue_rendered,
    email_queue_template,
    email_render_template,
)
from hubs.services import hub_unfollow_token

from .ics import event_ics
from .models import Booking, Event

SUBJECTS = {
    "booking_confirmed": "Your place is booked: {title}",
    "booking_waitlisted": "You are on the waiting list: {title}",
    "booking_promoted": "A place has come up for you: {title}",
    "booking_cancelled": "Your booking is cancelled: {title}",
    "booking_reminder": "Reminder: {title} is tomorrow",
    "event_changed": "Changed time or place: {title}",
    "event_cancelled": "Cancelled: {title}",
}
# Which emails carry the calendar file (a confirmed place, or removing one).
WITH_CALENDAR = {"booking_confirmed", "booking_promoted", "booking_reminder", "event_changed"}


def booking_email_render(*, booking: Booking, kind: str, calendar_cancel: bool = False) -> RenderedEmail:
    """The email for `kind`, rendered (templates and calendar file) but not queued. `calendar_cancel`: the
    person had the event in their calendar, so the email carries a METHOD:CANCEL file with the event's UID
    and a SEQUENCE above any they were sent (booking_cancel raised the event's sequence by two for this)."""
    event = booking.event
    confirmed = booking.status == Booking.Status.CONFIRMED
    attachments = []
    if kind in WITH_CALENDAR and confirmed:
        attachments.append(Attachment("event.ics", event_ics(event=event, include_join_link=True), "text/calendar"))
    if kind == "booking_cancelled" and calendar_cancel:
        cancel = event_ics(event=event, cancelled=True, sequence=event.calendar_sequence - 1)
        attachments.append(Attachment("event.ics", cancel, "text/calendar"))
    if kind == "event_cancelled" and booking.status != Booking.Status.WAITLISTED:
        attachments.append(Attachment("event.ics", event_ics(event=event, cancelled=True), "text/calendar"))
    return email_render_template(
        to=booking.user.email,
        subject=SUBJECTS[kind].format(title=event.title),
        template=f"events/{kind}",
        context={
            "booking": booking,
            "event": event,
            "name": booking.user.get_full_name(),
            "show_join_link": confirmed and bool(event.online_url),
            "my_bookings_path": reverse("events:my_bookings"),
        },
        user=booking.user,
        attachments=attachments,
    )


def booking_email(
    *,
    booking: Booking,
    kind: str,
    key_suffix: str = "",
    rendered: RenderedEmail | None = None,
    calendar_cancel: bool = False,
) -> None:
    """Queue the email for `kind` in the caller's transaction; `rendered` is one made earlier for this booking."""
    email_queue_rendered(
        email=rendered or booking_email_render(booking=booking, kind=kind, calendar_cancel=calendar_cancel),
        idempotency_key=f"booking-{booking.pk}-{kind.removeprefix('booking_')}{key_suffix}",
    )


def new_event_email(*, event: Event, follow) -> None:
    user = follow.user
    email_queue_template(
        to=user.email,
        subject=f"New {event.hub.name} event: {event.title}",
        template="hubs/new_event",
        context={
            "event": event,
            "hub": event.hub,
            "name": user.get_full_name(),
            "unfollow_path": reverse(
                "hubs:unfollow_email", kwargs={"token": hub_unfollow_token(hub=event.hub, user=user)}
            ),
        },
        idempotency_key=f"event-{event.pk}-published-follower-{user.pk}",
        user=user,
    )


def attendee_message_email(*, booking: Booking, subject: str, message: str, batch: str) -> None:
    email_queue_template(
        to=booking.user.email,
        subject=subject,
        template="events/attendee_message",
        context={"event": booking.event, "name": booking.user.get_full_name(), "message": message},
        idempotency_key=f"event-{booking.event_id}-message-{batch}-booking-{booking.pk}",
        user=booking.user,
    )
