"""Filters for the reviewers' pages in the admin."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`mapping[key]`, or None: scores and means are dicts keyed by criterion id."""
    return mapping.get(key) if mapping else None
