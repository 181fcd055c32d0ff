"""Calendar files (RFC 5545) for events: one stable UID per event, times in Europe/London."""

from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar import Event as VEvent

from .models import Event

LONDON = ZoneInfo("Europe/London")
PRODID = "-//Academy of Medical Sciences//Cross-Sector Programme//EN"


@cache
def _london_vtimezone() -> Timezone:
    """The VTIMEZONE for Europe/London as two yearly rules, the way Outlook and Google write it.

    UK clocks go forward at 01:00 GMT on the last Sunday of March and back at 02:00 BST on the last Sunday
    of October (the rule since 1996). icalendar's own `Timezone.from_tzid` writes every change as a list of
    dates (RDATE) after a 1970 block that is BST all year; vobject, and so CalDAV servers built on it, read
    that block as BST in December and put winter events an hour early. Every common client reads RRULEs.
    Built once per process: it is the same in every file.
    """
    daylight = TimezoneDaylight()
    daylight.add("tzname", "BST")
    daylight.add("tzoffsetfrom", timedelta(0))
    daylight.add("tzoffsetto", timedelta(hours=1))
    daylight.add("dtstart", datetime(1996, 3, 31, 1, 0))
    daylight.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1SU"})
    standard = TimezoneStandard()
    standard.add("tzname", "GMT")
    standard.add("tzoffsetfrom", timedelta(hours=1))
    standard.add("tzoffsetto", timedelta(0))
    standard.add("dtstart", datetime(1996, 10, 27, 2, 0))
    standard.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1SU"})
    vtimezone = Timezone()
    vtimezone.add("tzid", "Europe/London")
    vtimezone.add_component(daylight)
    vtimezone.add_component(standard)
    return vtimezone


def _calendar_time(moment: datetime) -> datetime:
    """The moment as UK wall-clock time, or in UTC in the one hour a year that wall-clock time happens twice
    (01:00-02:00 on the last Sunday of October): a repeated local time names two instants, RFC 5545 says to
    take the first and not every client does, so a UTC time is the only one every client reads the same."""
    local = moment.astimezone(LONDON)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return moment.astimezone(UTC)
    return local


def event_uid(event: Event) -> str:
    return f"event-{event.calendar_uid}@crosssector"


class _IcsInput(NamedTuple):
    """Everything a calendar file is made from, so a file made once can be reused while none of it changes."""

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    title: str
    summary: str
    page_url: str
    location: str
    online_url: str
    is_online: bool
    include_join_link: bool
    cancelled: bool


# The DTSTAMP a cached file is made with, replaced by the time each copy is handed out.
_STAMP = datetime(2000, 1, 1, tzinfo=UTC)
_STAMP_LINE = "DTSTAMP:20000101T000000Z"


def event_ics(
    *, event: Event, include_join_link: bool = False, cancelled: bool | None = None, sequence: int | None = None
) -> str:
    """The event as an iCalendar file.

    The joining link is only written for people with a confirmed place; the public file says where
    to find it instead. A cancelled event keeps its UID and goes out as METHOD:CANCEL so calendar
    apps remove the entry they already have; so does one person's cancelled booking, with `sequence`
    above every file they were sent (events.services.booking_cancel).

    Building the file is most of the cost of a booking confirmation, and every confirmation for an
    event carries the same file, so files are kept per process keyed by their whole content
    (`_IcsInput`): any change to the event makes a new key, whichever way the change was saved.
    """
    cancelled = event.status == Event.Status.CANCELLED if cancelled is None else cancelled
    location = ""
    if event.has_venue:
        location = ", ".join(part for part in [event.venue_name, " ".join(event.address.split())] if part)
    made = _event_ics(
        _IcsInput(
            uid=event_uid(event),
            sequence=event.calendar_sequence if sequence is None else sequence,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            title=event.title,
            summary=event.summary,
            page_url=f"{settings.SITE_URL}{event.get_absolute_url()}",
            location=location,
            online_url=event.online_url,
            is_online=event.is_online,
            include_join_link=include_join_link,
            cancelled=cancelled,
        )
    )
    return made.replace(_STAMP_LINE, f"DTSTAMP:{timezone.now().astimezone(UTC):%Y%m%dT%H%M%SZ}", 1)


@lru_cache(maxsize=256)
def _event_ics(source: _IcsInput) -> str:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if source.cancelled else "PUBLISH")

    vevent = VEvent()
    vevent.add("uid", source.uid)
    vevent.add("sequence", source.sequence)
    vevent.add("dtstamp", _STAMP)
    vevent.add("dtstart", _calendar_time(source.starts_at))
    vevent.add("dtend", _calendar_time(source.ends_at))
    vevent.add("summary", source.title)
    vevent.add("url", source.page_url)
    location = source.location
    description = [source.summary] if source.summary else []
    if source.is_online:
        if source.include_join_link and source.online_url:
            description.append(f"Join online: {source.online_url}")
            location = location or source.online_url
        else:
            description.append(f"The joining link is on the event page for people with a place: {source.page_url}")
            location = location or "Online"
    description.append(f"Event page: {source.page_url}")
    vevent.add("location", location)
    vevent.add("description", "\n\n".join(description))
    vevent.add("status", "CANCELLED" if source.cancelled else "CONFIRMED")
    cal.add_component(vevent)
    cal.subcomponents.insert(0, _london_vtimezone())  # what add_missing_timezones() adds, built once
    return cal.to_ical().decode()
