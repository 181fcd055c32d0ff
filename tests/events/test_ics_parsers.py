"""Calendar files are read at the same instant by every client.

Each file is read three ways and must give the instants the Event row holds:
- vobject (used by Radicale and other CalDAV servers), which builds the time zone from the file's VTIMEZONE
  with dateutil's tzical: the reader that put winter events an hour early with the old list-of-dates block;
- icalendar, from the file's own VTIMEZONE block (`Timezone.to_tz(lookup_tzid=False)`);
- icalendar as it reads files by default, resolving TZID=Europe/London from the tz database.
The yearly rules in the block are also expanded with dateutil.rrule and compared with the tz database's own
clock changes, so the block agrees with zoneinfo for every year, not only the dates tested here.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import vobject
from dateutil.rrule import rrulestr
from icalendar import Calendar

from crossector.core import demo as core_demo
from events import demo as events_demo
from events.ics import event_ics
from events.models import Event
from hubs import demo as hubs_demo
from tests.events.factories import EventFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def by_vobject(text: str) -> tuple[datetime, datetime]:
    vevent = vobject.readOne(text).vevent
    return vevent.dtstart.value.astimezone(UTC), vevent.dtend.value.astimezone(UTC)


def by_icalendar_vtimezone(text: str) -> tuple[datetime, datetime]:
    cal = Calendar.from_ical(text)
    block = cal.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    [vevent] = cal.walk("VEVENT")

    def read(name):
        prop = vevent[name]
        raw = prop.to_ical().decode()
        if raw.endswith("Z"):
            return datetime.strptime(raw, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        assert prop.params["TZID"] == "Europe/London"
        return datetime.strptime(raw, "%Y%m%dT%H%M%S").replace(tzinfo=block).astimezone(UTC)

    return read("DTSTART"), read("DTEND")


def by_icalendar(text: str) -> tuple[datetime, datetime]:
    [vevent] = Calendar.from_ical(text).walk("VEVENT")
    return vevent.decoded("DTSTART").astimezone(UTC), vevent.decoded("DTEND").astimezone(UTC)


READERS = [by_vobject, by_icalendar_vtimezone, by_icalendar]


def assert_every_reader_agrees(event: Event):
    event.refresh_from_db()
    expected = (event.starts_at.astimezone(UTC), event.ends_at.astimezone(UTC))
    for text in (event_ics(event=event), event_ics(event=event, include_join_link=True, cancelled=True)):
        for read in READERS:
            assert read(text) == expected, (read.__name__, event.starts_at, text)


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


WINTER_AND_SUMMER = [
    datetime(2025, 12, 10, 17, 0, tzinfo=LONDON),  # the reported case: read as 17:00 BST by vobject
    datetime(2026, 1, 15, 9, 30, tzinfo=LONDON),
    datetime(2026, 2, 28, 23, 30, tzinfo=LONDON),
    datetime(2026, 7, 10, 17, 0, tzinfo=LONDON),
    datetime(2026, 6, 21, 0, 15, tzinfo=LONDON),
    datetime(2031, 11, 30, 18, 0, tzinfo=LONDON),
    datetime(2037, 8, 1, 10, 0, tzinfo=LONDON),
]


@pytest.mark.parametrize("starts_at", WINTER_AND_SUMMER, ids=lambda d: d.isoformat())
def test_winter_and_summer_events_are_read_at_the_same_instant_by_every_parser(starts_at):
    assert_every_reader_agrees(EventFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=2)))


CHANGE_DAYS = [last_sunday(year, month) for year in (2025, 2026, 2027) for month in (3, 10)]


@pytest.mark.parametrize("day", CHANGE_DAYS, ids=str)
@pytest.mark.parametrize("hour", [0, 1, 2])
@pytest.mark.parametrize("fold", [0, 1])
def test_events_at_half_past_on_the_clock_change_days_are_read_at_the_same_instant(day, hour, fold):
    """00:30, 01:30 and 02:30 UK time on the last Sundays of March and October. 01:30 in March does not exist
    and 01:30 in October happens twice: both readings of it (fold 0 and 1) are real instants an event can
    hold, and each must come back as itself, lasting 30 minutes (across the change) or 3 hours."""
    starts_at = datetime(day.year, day.month, day.day, hour, 30, tzinfo=LONDON, fold=fold).astimezone(UTC)
    for length in (timedelta(minutes=30), timedelta(hours=3)):
        assert_every_reader_agrees(EventFactory(starts_at=starts_at, ends_at=starts_at + length))


@pytest.mark.parametrize("day", CHANGE_DAYS, ids=str)
def test_every_quarter_hour_across_a_clock_change_is_read_at_the_same_instant(day):
    midnight_utc = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=2)
    for step in range(6 * 4):
        starts_at = midnight_utc + timedelta(minutes=15 * step)
        assert_every_reader_agrees(EventFactory(starts_at=starts_at, ends_at=starts_at + timedelta(minutes=45)))


def test_the_repeated_hour_in_october_is_written_in_utc_and_the_hours_either_side_in_uk_time():
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT
    text = event_ics(event=EventFactory(starts_at=first, ends_at=second))
    assert "DTSTART:20261025T003000Z" in text and "DTEND:20261025T013000Z" in text
    before, after = first - timedelta(hours=1), second + timedelta(hours=1)  # 00:30 BST, 02:30 GMT
    text = event_ics(event=EventFactory(starts_at=before, ends_at=after))
    assert "DTSTART;TZID=Europe/London:20261025T003000" in text
    assert "DTEND;TZID=Europe/London:20261025T023000" in text


def test_every_demo_event_is_read_at_the_same_instant_by_every_parser():
    users = core_demo.seed()
    hubs_demo.seed(users)
    events_demo.seed(users)
    events = list(Event.objects.all())
    assert len(events) == 8
    offsets = {e.starts_at.astimezone(LONDON).utcoffset() for e in events}
    assert offsets >= {timedelta(0), timedelta(hours=1)}  # the past Wales events: November (GMT), April (BST)
    for event in events:
        assert_every_reader_agrees(event)


def test_the_time_zone_is_two_yearly_rules_that_match_the_tz_database():
    text = event_ics(event=EventFactory())
    [block] = Calendar.from_ical(text).walk("VTIMEZONE")
    assert "RDATE" not in block.to_ical().decode()
    rules = {}
    for part in block.subcomponents:
        start = part.decoded("DTSTART")
        rule = rrulestr(part["RRULE"].to_ical().decode(), dtstart=start)
        rules[part.name] = (rule, part.decoded("TZOFFSETFROM"), part.decoded("TZOFFSETTO"))
    assert set(rules) == {"DAYLIGHT", "STANDARD"}
    for name, (rule, offset_from, offset_to) in rules.items():
        for year in range(1997, 2040):
            [local] = rule.between(datetime(year, 1, 1), datetime(year + 1, 1, 1))
            instant = (local - offset_from).replace(tzinfo=UTC)
            # The tz database changes offset at exactly this instant, from offset_from to offset_to.
            assert instant.astimezone(LONDON).utcoffset() == offset_to, (name, year)
            assert (instant - timedelta(seconds=1)).astimezone(LONDON).utcoffset() == offset_from, (name, year)
