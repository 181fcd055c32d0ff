"""Calendar files (RFC 5545) for events: one stable UID per event, times in Europe/London."""

from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Timezone
from icalendar import Event as VEvent

from .models import Event

LONDON = ZoneInfo("Europe/London")
PRODID = "-//Academy of Medical Sciences//Cross-Sector Programme//EN"


@cache
def _london_vtimezone() -> Timezone:
    """The VTIMEZONE for Europe/London (1970-2038, icalendar's default span): the same for every file, and
    building it was a third of the time of each calendar file, so it is built once per process."""
    return Timezone.from_tzid("Europe/London")


def event_uid(event: Event) -> str:
    return f"event-{event.calendar_uid}@crosssector"


def event_ics(*, event: Event, include_join_link: bool = False, cancelled: bool | None = None) -> str:
    """The event as an iCalendar file.

    The joining link is only written for people with a confirmed place; the public file says where
    to find it instead. A cancelled event keeps its UID and goes out as METHOD:CANCEL so calendar
    apps remove the entry they already have.
    """
    cancelled = event.status == Event.Status.CANCELLED if cancelled is None else cancelled
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")

    vevent = VEvent()
    vevent.add("uid", event_uid(event))
    vevent.add("sequence", event.calendar_sequence)
    vevent.add("dtstamp", timezone.now())
    vevent.add("dtstart", event.starts_at.astimezone(LONDON))
    vevent.add("dtend", event.ends_at.astimezone(LONDON))
    vevent.add("summary", event.title)
    page_url = f"{settings.SITE_URL}{event.get_absolute_url()}"
    vevent.add("url", page_url)
    location = ""
    if event.has_venue:
        location = ", ".join(part for part in [event.venue_name, " ".join(event.address.split())] if part)
    description = [event.summary] if event.summary else []
    if event.is_online:
        if include_join_link and event.online_url:
            description.append(f"Join online: {event.online_url}")
            location = location or event.online_url
        else:
            description.append(f"The joining link is on the event page for people with a place: {page_url}")
            location = location or "Online"
    description.append(f"Event page: {page_url}")
    vevent.add("location", location)
    vevent.add("description", "\n\n".join(description))
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    cal.add_component(vevent)
    cal.subcomponents.insert(0, _london_vtimezone())  # what add_missing_timezones() adds, built once
    return cal.to_ical().decode()
