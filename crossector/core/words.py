"""Word limits: every long answer (a text box of several lines) in a portal form has one, with a counter.

The limit is checked on the server by `WordLimitValidator`; the page says "Up to N words." under the box and
marks it `data-word-limit` so static/js/portal.js can add a live counter (progressive enhancement: the
server's message is the rule). A character bound stays beside it (docs/security.md, "Bounds"): one "word"
can be megabytes long.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

_WORD = re.compile(r"\S+")


def word_count(text: str) -> int:
    """Words as a person counts them: runs of characters between spaces or line breaks."""
    return len(_WORD.findall(text or ""))


def word_limit_problem(*, text: str, limit: int) -> str | None:
    if (count := word_count(text)) > limit:
        return f"Use {limit} words or fewer (you have {count})."
    return None


@deconstructible
class WordLimitValidator:
    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, value):
        if problem := word_limit_problem(text=value, limit=self.limit):
            raise ValidationError(problem, code="too_many_words")

    def __eq__(self, other):
        return isinstance(other, WordLimitValidator) and other.limit == self.limit


def word_limit(field: forms.Field, limit: int) -> forms.Field:
    """Give a text box its word limit: checked on the server, said under the box, counted as you type."""
    if not any(isinstance(v, WordLimitValidator) for v in field.validators):
        field.validators.append(WordLimitValidator(limit))
    field.widget.attrs["data-word-limit"] = str(limit)
    said = f"Up to {limit} words."
    if said not in str(field.help_text or ""):
        field.help_text = f"{field.help_text} {said}".strip() if field.help_text else said
    return field


def word_limit_of(field: forms.Field) -> int | None:
    """The field's word limit, or None: what tests and pages ask."""
    for validator in field.validators:
        if isinstance(validator, WordLimitValidator):
            return validator.limit
    return None
