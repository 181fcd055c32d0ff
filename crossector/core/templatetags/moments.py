"""The one way pages and emails write times (crossector.core.dates): {{ event.starts_at|datetime_uk:"weekday" }}.

Templates use these filters, never `|date` with a time in its format or `|time`
(tests/core/test_one_time_format.py fails on them).
"""

from django import template

from .. import dates

register = template.Library()


def _options(arg) -> dict:
    words = set(str(arg or "").replace(",", " ").split())
    return {"weekday": "weekday" in words, "zone": "zone" in words}


@register.filter
def datetime_uk(moment, arg="") -> str:
    """ "17 November 2022, 5:00pm"; arguments "weekday" and/or "zone" add "Thursday" and "UK time"."""
    return dates.format_datetime(moment, **_options(arg)) if moment else ""


@register.filter
def time_uk(moment, arg="") -> str:
    """ "5:00pm", or "5:00pm UK time" with "zone"."""
    return dates.format_time(moment, zone=_options(arg)["zone"]) if moment else ""


@register.filter
def date_uk(moment, arg="") -> str:
    """ "17 November 2022", or "Thursday 17 November 2022" with "weekday"."""
    return dates.format_date(moment, weekday=_options(arg)["weekday"]) if moment else ""


@register.filter
def same_uk_day(first, second) -> bool:
    """Whether two moments fall on the same day in the UK (an event that ends the day it starts)."""
    return bool(first and second) and dates.format_date(first) == dates.format_date(second)
