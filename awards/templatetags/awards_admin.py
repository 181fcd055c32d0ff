"""Filters for the staff and reviewer pages in the admin."""

from django import template

from .. import rules

register = template.Library()


@register.filter
def cost_total(application):
    """The amount requested: the annotated figure when the selector gave one, else the sum of the cost lines
    (reads prefetched `cost_lines`)."""
    annotated = getattr(application, "amount_requested", None)
    if annotated is not None:
        return annotated
    return rules.costs_total(line.amount for line in application.cost_lines.all())
