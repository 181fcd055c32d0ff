"""Dates and times, written one way and typed the GOV.UK way.

Written: every moment is shown in UK time as "Thursday 17 November 2022, 5:00pm" (the weekday where a
page or email is about an event), "4:00pm" for a time alone, and where the time zone is said (deadlines,
event times, history) always the same words after the time, `ZONE`: "29 February 2024, 4:00pm UK time", never
"GMT" or "BST" (export and admin column headers say "(UK time)"). Pages and emails use the template filters in
crossector/core/templatetags/moments.py, Python code these functions, and the admin the same pattern
through crossector/formats/en_GB (DATETIME_FORMAT "j F Y, g:ia"). tests/core/test_one_time_format.py
fails on any other time format in a template.

Typed: a date is three boxes, day, month and year (`DatePartsField`), never a browser's date picker, which
shows mm/dd/yyyy when the browser's language is American English.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

UK = ZoneInfo("Europe/London")
# The one way the zone is said: true all year (GMT in winter, BST in summer), and what a reader abroad can look up.
ZONE = "UK time"


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, UK) if timezone.is_aware(moment) else moment


def format_time(moment: datetime, *, zone: bool = False) -> str:
    """ "5:00pm", "9:30am", "12:00pm" (midday): the clock time in the UK; with `zone` "5:00pm UK time"."""
    local = _local(moment)
    text = f"{local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
    return f"{text} {ZONE}" if zone else text


def format_date(day: date | datetime, *, weekday: bool = False) -> str:
    """ "17 November 2022", or "Thursday 17 November 2022" with `weekday`."""
    if isinstance(day, datetime):
        day = _local(day)
    text = f"{day.day} {day:%B %Y}"
    return f"{day:%A} {text}" if weekday else text


def format_datetime(moment: datetime, *, weekday: bool = False, zone: bool = False) -> str:
    """ "17 November 2022, 5:00pm"; with `weekday` "Thursday 17 ..."; with `zone` "..., 4:00pm UK time"."""
    local = _local(moment)
    return f"{format_date(local, weekday=weekday)}, {format_time(local, zone=zone)}"


# --- Typing a date -----------------------------------------------------------------------------------------


class DatePartsWidget(forms.MultiWidget):
    """Day, month and year boxes. Pages render each box with its own label inside a fieldset whose legend is
    the question (templates/includes/date_parts.html)."""

    PARTS = (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))

    def __init__(self, attrs=None):
        widgets = {
            name: forms.TextInput(attrs={"inputmode": "numeric", "size": size, "autocomplete": "off"})
            for name, _label, size in self.PARTS
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]


class DatePartsField(forms.MultiValueField):
    """A date typed in three boxes. Each message names what to fix: a missing part, a part that is not a
    number, a year not written in 4 digits, a date that does not exist.

    `example` is the date the hint and messages show ("For example, 27 4 2027"): the form sets one its own
    rules accept (a start date after the call closes), with a day above 12 so it shows which box is the day.
    Without one, no example is shown: an example a person copies must never be refused."""

    widget = DatePartsWidget

    def __init__(self, *, what: str = "the date", example: date | None = None, **kwargs):
        self.what = what
        self.example = example
        fields = (forms.CharField(required=False), forms.CharField(required=False), forms.CharField(required=False))
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("required", f"Enter {what}")
        super().__init__(fields, require_all_fields=False, **kwargs)

    @property
    def example_text(self) -> str:
        """ "27 4 2027": the example as it is typed in the boxes; "" without one."""
        return f"{self.example.day} {self.example.month} {self.example.year}" if self.example else ""

    def _for_example(self, text: str) -> str:
        return f", for example {text}" if self.example else ""

    def compress(self, data_list):
        parts = [(p or "").strip() for p in (data_list or ["", "", ""])]
        if not any(parts):
            return None
        missing = [name for (name, _l, _s), part in zip(DatePartsWidget.PARTS, parts, strict=True) if not part]
        if missing:
            raise ValidationError(
                f"{self.what[0].upper()}{self.what[1:]} must include a {' and a '.join(missing)}", code="incomplete"
            )
        if not all(part.isdigit() for part in parts):
            raise ValidationError(
                f"Enter {self.what} using numbers{self._for_example(self.example_text)}", code="not_numbers"
            )
        day, month, year = (int(part) for part in parts)
        if len(parts[2]) != 4:
            raise ValidationError(
                f"Enter the year of {self.what} as 4 digits{self._for_example(self.example and self.example.year)}",
                code="year",
            )
        try:
            return date(year, month, day)
        except ValueError:
            raise ValidationError(
                f"{self.what[0].upper()}{self.what[1:]} must be a real date{self._for_example(self.example_text)}",
                code="invalid",
            ) from None
