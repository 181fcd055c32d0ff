"""The text rule: what people type is made safe once, by one rule, before it is stored.

One-line text (names, titles, organisations, subjects) is NFC-normalised, holds no control characters,
line breaks or invisible formatting characters, has its spaces collapsed, and must contain something you
can see. Multi-line text (a textarea) keeps its line breaks and tabs but refuses other control characters
and the invisible bidirectional controls that can reorder what staff read. Email header values get a third,
non-refusing form of the rule (`header_safe`), applied where the message is built whatever the caller passed.

Forms get the rule from `TextRuleMixin` (every form in the portal) and the admin site (every ModelAdmin,
add form, inline and changelist form); tests/security/test_text_rule.py proves each one refuses bad text.
docs/security.md ("Text rule") explains the choices.
"""

import unicodedata
from functools import cache, lru_cache

from django import forms
from django.core.exceptions import ValidationError

# A one-line field with no max_length of its own still stops here.
ONE_LINE_MAX_LENGTH = 1000

LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Embeddings, overrides and isolates: they reorder the text around them ("Trojan Source").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Joiners shape Persian, Indic and emoji text; allowed in one-line text only between two visible characters.
JOINERS = frozenset("\u200c\u200d")
# Letters and symbols that draw nothing: they do not count as visible text.
BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")

# At most this many combining marks in a row on one letter. Real writing stacks a few (Vietnamese two after NFC,
# Tibetan and Indic scripts up to about five); "Zalgo" text stacks dozens that draw over the lines around them.
# Unicode's stream-safe format (UAX #15) allows 30; people never need more than 8.
COMBINING_RUN_MAX = 8

_NAMED = {"\t": "tab", "\n": "line feed", "\r": "carriage return", "\x00": "null", "\u00ad": "soft hyphen"}


def _describe(char: str) -> str:
    name = _NAMED.get(char) or unicodedata.name(char, "").lower() or "control character"
    return f"U+{ord(char):04X}, {name}"


def _is_visible(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNPS" and char not in BLANK_LOOKALIKES


def _joinable(char: str) -> bool:
    # A virama (a combining mark) comes before the joiner in Indic conjuncts.
    return unicodedata.category(char)[0] in "LMNPS" and char not in BLANK_LOOKALIKES


def _combining_problem(text: str) -> str | None:
    run = 0
    for char in text:
        run = run + 1 if unicodedata.category(char) in ("Mn", "Me") else 0
        if run > COMBINING_RUN_MAX:
            return (
                f"Remove the extra accents or marks: one letter carries more than {COMBINING_RUN_MAX} of them, "
                "which draws over the text around it."
            )
    return None


def _raise_problems(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError([ValidationError(message, code=code) for code, message in problems.items()])


def one_line_clean(value: str) -> str:
    """The one-line rule. Returns the cleaned text, or raises ValidationError naming every kind of problem.

    NFC (not NFKC: NFKC would rewrite "²", "½" or "ﬁ" that someone typed on purpose; NFC only makes
    canonically equal text byte-equal, so "Sia\u0302n" becomes "Siân"). Refused: line breaks; every other C0/C1
    control, tab included; every format character (category Cf: bidi controls, zero-width space, BOM, soft
    hyphen, word joiner, tag characters) except a zero-width joiner or non-joiner between two visible
    characters; lone surrogates; more than COMBINING_RUN_MAX combining marks in a row. Runs of spaces of any
    kind become one space, ends are trimmed, and a non-empty result must contain a letter, number, punctuation
    mark or symbol you can see. Empty text stays empty: whether it is required is the field's business. Longer
    than ONE_LINE_MAX_LENGTH is refused.
    """
    text = unicodedata.normalize("NFC", value)
    problems: dict[str, str] = {}
    kept: list[str] = []
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if char in LINE_BREAKS:
            problems.setdefault("line_break", "Enter this on one line: remove the line break.")
        elif category == "Cc":
            problems.setdefault("control", f"Remove the control character ({_describe(char)}).")
        elif char in BIDI_CONTROLS:
            problems.setdefault(
                "bidi", f"Remove the invisible character that changes the direction of text ({_describe(char)})."
            )
        elif char in JOINERS:
            if not (0 < index < len(text) - 1 and _joinable(text[index - 1]) and _joinable(text[index + 1])):
                problems.setdefault("invisible", f"Remove the invisible character ({_describe(char)}).")
            kept.append(char)
        elif category in ("Cf", "Cs"):
            problems.setdefault("invisible", f"Remove the invisible character ({_describe(char)}).")
        elif char.isspace():
            if kept and kept[-1] != " ":
                kept.append(" ")
        else:
            kept.append(char)
    if message := _combining_problem(text):
        problems.setdefault("combining", message)
    _raise_problems(problems)
    cleaned = "".join(kept).strip(" ")
    if cleaned and not any(_is_visible(char) for char in cleaned):
        raise ValidationError(
            "Enter text you can see: this has only spaces, marks or invisible characters.", code="no_visible_text"
        )
    if len(cleaned) > ONE_LINE_MAX_LENGTH:
        raise ValidationError(
            f"Enter no more than {ONE_LINE_MAX_LENGTH:,} characters (this has {len(cleaned):,}).", code="max_length"
        )
    return cleaned


def multi_line_clean(value: str) -> str:
    """The multi-line rule (textareas): NFC; line breaks and tabs kept, U+2028/U+2029 become line feeds and a
    BOM is dropped; every other C0/C1 control and the bidi embeddings, overrides and isolates are refused (they
    can make a note read differently from what was typed), as are more than COMBINING_RUN_MAX combining marks in a
    row. Other format characters (soft hyphens and
    zero-width spaces pasted from documents, joiners in emoji) are kept: in running text they hide nothing.
    A non-empty result must contain something visible."""
    text = unicodedata.normalize("NFC", value).replace("\u2028", "\n").replace("\u2029", "\n").replace("\ufeff", "")
    problems: dict[str, str] = {}
    for char in text:
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            problems.setdefault("control", f"Remove the control character ({_describe(char)}).")
        elif char in BIDI_CONTROLS:
            problems.setdefault(
                "bidi", f"Remove the invisible character that changes the direction of text ({_describe(char)})."
            )
    if message := _combining_problem(text):
        problems.setdefault("combining", message)
    _raise_problems(problems)
    if text.strip() and not any(_is_visible(char) for char in text):
        raise ValidationError(
            "Enter text you can see: this has only spaces, marks or invisible characters.", code="no_visible_text"
        )
    return text


def header_safe(value: str, *, max_length: int | None = None) -> str:
    """An email header value that cannot break the message: NFC, every control, line break and format
    character becomes a space, spaces collapse, ends are trimmed, and it is cut to `max_length`. Never raises:
    it is applied where the message is built, to whatever the caller passed."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", str(value)):
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") or char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(char)
    text = "".join(out).strip()
    return text[:max_length].rstrip() if max_length else text


def address_safe(value: str) -> str:
    """An email address with every control, format and space character removed (an address holds none)."""
    return "".join(
        char
        for char in unicodedata.normalize("NFC", str(value))
        if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Zl", "Zp") and not char.isspace()
    )


# --- Form fields ----------------------------------------------------------------------------------------------


class _OneLineRule:
    """The rule runs on the text as submitted, before the field's own conversion and validators (so max_length
    counts the cleaned text)."""

    text_rule = "one_line"

    def to_python(self, value):
        return super().to_python(one_line_clean(value) if isinstance(value, str) else value)


class _MultiLineRule:
    text_rule = "multi_line"

    def to_python(self, value):
        return super().to_python(multi_line_clean(value) if isinstance(value, str) else value)


class OneLineCharField(_OneLineRule, forms.CharField):
    """A CharField under the one-line rule (forms built with TextRuleMixin get this for every text input)."""


class MultiLineCharField(_MultiLineRule, forms.CharField):
    widget = forms.Textarea


@cache
def _with_rule(field_class: type, rule: type) -> type:
    return type(field_class.__name__, (rule, field_class), {"__module__": field_class.__module__})


def text_rule_kind(field: forms.Field) -> str | None:
    """Which rule a form field needs: "one_line" for a CharField drawn as a text input (not password, number or
    hidden inputs, which are not TextInput), "multi_line" for a textarea, else None. Email and URL fields are
    left to their own validators, which accept no control, space or format character anyway; JSON fields
    hold structured data, not typed text."""
    if not isinstance(field, forms.CharField) or isinstance(field, forms.EmailField | forms.URLField | forms.JSONField):
        return None
    if isinstance(field.widget, forms.Textarea):
        return "multi_line"
    if isinstance(field.widget, forms.TextInput):
        return "one_line"
    return None


def apply_text_rule(field: forms.Field) -> forms.Field:
    """Put a form field under its text rule, in place (its class becomes a subclass with the rule). The field
    keeps everything else: label, max_length, validators, widget, error messages."""
    kind = text_rule_kind(field)
    if kind is None or getattr(field, "text_rule", None) == kind:
        return field
    field.__class__ = _with_rule(type(field), _OneLineRule if kind == "one_line" else _MultiLineRule)
    return field


class TextRuleMixin:
    """Every form in the portal: each text field of the instance is put under the text rule after __init__,
    so fields added or re-widgeted in a form's own __init__ are covered too. List it first in the bases."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            apply_text_rule(field)


@lru_cache(maxsize=1024)
def with_text_rule(form_class: type) -> type:
    """`form_class` with TextRuleMixin, for forms the portal does not define (the admin's defaults, Django's
    user forms). Cached, so one base class always gives the same subclass."""
    if issubclass(form_class, TextRuleMixin):
        return form_class
    return type(
        form_class.__name__,
        (TextRuleMixin, form_class),
        {"__module__": form_class.__module__, "__qualname__": form_class.__qualname__},
    )
