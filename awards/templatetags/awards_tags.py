from datetime import timedelta

from django import template

from crossector.core.labels import in_sentence
from crossector.core.money import format_pounds

from .. import rules

register = template.Library()


@register.filter
def uk_time(moment) -> str:
    """'29 February 2024, 4:00pm GMT'."""
    return rules.format_uk(moment) if moment else ""


@register.filter
def time_left(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "closed"
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    if days:
        return f"{days} day{'s' if days != 1 else ''} and {hours} hour{'s' if hours != 1 else ''} left"
    minutes = (rest % 3600) // 60
    return f"{hours} hour{'s' if hours != 1 else ''} and {minutes} minute{'s' if minutes != 1 else ''} left"


@register.filter(name="in_sentence")
def in_sentence_filter(label) -> str:
    """ "the CV", "the letter of support": a label inside a sentence (crossector.core.labels.in_sentence)."""
    return in_sentence(label)


@register.filter
def pounds(value) -> str:
    """ "£85,000" or "£85,000.50": crossector.core.money.format_pounds, the one way amounts are shown."""
    return format_pounds(value)


@register.filter
def applicant_status(status: str) -> str:
    """The status as the applicant is told it: internal review stages all read "Under review"."""
    from ..workflow import applicant_status_label

    return applicant_status_label(status)
