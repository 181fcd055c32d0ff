"""The one place that says whether an event can be booked right now, and why not."""

from dataclasses import dataclass
from datetime import datetime

from .models import Event


class Window:
    DRAFT = "draft"
    CANCELLED = "cancelled"
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"
    STARTED = "started"


MESSAGES = {
    Window.DRAFT: "This event is not published.",
    Window.CANCELLED: "This event has been cancelled.",
    Window.NOT_OPEN: "Booking for this event is not open yet.",
    Window.CLOSED: "Booking for this event has closed.",
    Window.STARTED: "This event has already started, so it can no longer be booked.",
}


def booking_window(event: Event, *, now: datetime) -> str:
    if event.status == Event.Status.DRAFT:
        return Window.DRAFT
    if event.status == Event.Status.CANCELLED:
        return Window.CANCELLED
    if now >= event.starts_at:
        return Window.STARTED
    if event.booking_opens_at and now < event.booking_opens_at:
        return Window.NOT_OPEN
    if event.booking_closes_at and now >= event.booking_closes_at:
        return Window.CLOSED
    return Window.OPEN


@dataclass(frozen=True)
class Availability:
    """Places for a published event: what the badge says and what a new booking would get."""

    capacity: int | None
    confirmed: int
    waiting_list_enabled: bool

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.confirmed, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.confirmed >= self.capacity

    @property
    def next_booking_waits(self) -> bool:
        return self.is_full and self.waiting_list_enabled

    @property
    def sold_out(self) -> bool:
        return self.is_full and not self.waiting_list_enabled


def can_cancel(event: Event, *, now: datetime) -> bool:
    """Attendees may cancel until the event starts."""
    return now < event.starts_at
