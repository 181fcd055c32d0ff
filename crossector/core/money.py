"""Money: amounts in pounds typed the way people type them, and shown one way everywhere.

Typed: "72000", "72,000", "£72,000", "£72,000.50", " 72000 " are all £72,000(.50). Refused with a message
that says what to type: letters ("72k"), a minus sign, more than two digits of pence, commas out of place.
Shown: "£85,000" for whole pounds, "£85,000.50" with pence, never "£85000.00" (`format_pounds`, the
`pounds` template filter).

Every money field in the portal and the admin is a `MoneyFormField`: model fields declared as `MoneyField`
give it to every ModelForm (the admin's included), and plain forms use it directly.
"""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

EXAMPLE = "for example 12,500 or 12,500.50"
# Pounds with commas between every group of three digits, or none at all; then at most two digits of pence.
_AMOUNT = re.compile(r"^(?P<pounds>\d{1,3}(,\d{3})+|\d+)?(\.(?P<pence>\d*))?$")


def format_pounds(value) -> str:
    """ "£85,000" or "£85,000.50"; "" for no amount. The one way the portal writes an amount of money."""
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount == amount.to_integral_value():
        return f"{sign}£{amount:,.0f}"
    return f"{sign}£{amount:,.2f}"


def format_amount(value) -> str:
    """The amount without the pound sign, as it is put back in a text box: "85,000" or "85,000.50"."""
    return format_pounds(value).replace("£", "")


def parse_pounds(text: str, *, label: str = "the amount") -> Decimal | None:
    """The amount typed, or None for an empty box. Raises ValidationError saying what to type instead."""
    cleaned = (text or "").strip().replace("\u00a3", "").replace(" ", "").replace("\u00a0", "")
    if cleaned.upper().endswith("GBP"):
        cleaned = cleaned[:-3]
    if not cleaned:
        return None
    if cleaned.startswith("-") or cleaned.startswith("\u2212"):
        raise ValidationError(f"Enter {label} as £0 or more, without a minus sign.", code="negative")
    if re.search(r"[^\d,.]", cleaned):
        raise ValidationError(
            f"Enter {label} in pounds using numbers only, {EXAMPLE} (not 12.5k or twelve thousand).", code="letters"
        )
    match = _AMOUNT.match(cleaned)
    if not match or not (match["pounds"] or match["pence"]):
        raise ValidationError(f"Enter {label} in pounds, {EXAMPLE}.", code="format")
    if match["pence"] is not None and len(match["pence"]) > 2:
        raise ValidationError(f"Enter {label} with no more than two digits of pence, {EXAMPLE}.", code="pence")
    try:
        return Decimal(cleaned.replace(",", "") or "0")
    except InvalidOperation:  # pragma: no cover - the pattern lets only digits through
        raise ValidationError(f"Enter {label} in pounds, {EXAMPLE}.", code="format") from None


class MoneyInput(forms.TextInput):
    """A text box (not type=number: that refuses "72,000" and spins on scroll) showing "72,000.50"."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal | int | float):
            return format_amount(value)
        return super().format_value(value)


class MoneyFormField(forms.Field):
    """An amount in pounds, typed as people type it (see `parse_pounds`), between `min_value` and `max_value`."""

    widget = MoneyInput

    def __init__(self, *, min_value=Decimal("0"), max_value=None, what: str = "the amount", **kwargs):
        for unused in ("max_digits", "decimal_places", "max_length", "empty_value"):
            kwargs.pop(unused, None)
        self.min_value = None if min_value is None else Decimal(min_value)
        self.max_value = None if max_value is None else Decimal(max_value)
        self.what = what
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("required", f"Enter {what} in pounds, {EXAMPLE}.")
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, Decimal):
            return value
        if value in self.empty_values:
            return None
        return parse_pounds(str(value), label=self.what)

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(f"Enter {self.what} of {format_pounds(self.min_value)} or more.", code="min_value")
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(f"Enter {self.what} of {format_pounds(self.max_value)} or less.", code="max_value")

    def has_changed(self, initial, data):
        try:
            return self.to_python(initial) != self.to_python(data)
        except ValidationError:
            return True


class MoneyField(models.DecimalField):
    """A DecimalField of pounds whose form field is `MoneyFormField` (so every ModelForm, the admin's too,
    accepts "72,000" and "£72,000.50"). Stored exactly as a DecimalField: it deconstructs as one, so
    declaring a field this way needs no migration."""

    def __init__(self, *args, max_digits=9, decimal_places=2, **kwargs):
        super().__init__(*args, max_digits=max_digits, decimal_places=decimal_places, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs

    def formfield(self, **kwargs):
        upper = 10 ** (self.max_digits - self.decimal_places) - Decimal("0.01")
        limits = [v.limit_value for v in self.validators if isinstance(v, MaxValueValidator)]
        lowers = [v.limit_value for v in self.validators if isinstance(v, MinValueValidator)]
        defaults = {
            "form_class": MoneyFormField,
            "max_value": min([upper, *limits]),
            "min_value": max([Decimal("0"), *lowers]),
            "what": f"the {str(self.verbose_name).replace(' (£)', '')}",
        }
        defaults.update(kwargs)
        form_class = defaults.pop("form_class")
        # Skip DecimalField.formfield (it would force forms.DecimalField); Field.formfield honours form_class.
        return models.Field.formfield(self, form_class=form_class, **defaults)
