"""Moments that staff set are stored in whole minutes, because whole minutes are what every page shows.

A deadline stored as 16:00:30 reads "4:00pm" everywhere, yet a submission at 16:00:10 would be on time:
what is shown and what is enforced differ. So every boundary a person sets (a call's opening and deadline,
an extension, an event's times and booking window) is a `MinuteDateTimeField`:

- a form (the admin or any ModelForm) refuses a time with seconds, with a message next to the field;
- code that computes a moment (``now + 14 days``) has it cut to the minute when it is written, by
  ``save()``, ``bulk_create()`` or ``QuerySet.update()`` alike;
- the database refuses anything else, through `whole_minute_constraint` (PostgreSQL and SQLite).

Records of when something happened (created_at, checked in at) keep their full precision: no rule
compares a later moment with them as a boundary.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models

WHOLE_MINUTE_MESSAGE = "Give the time in hours and minutes, such as 16:00, without seconds."


def to_minute(moment: datetime | None) -> datetime | None:
    """The moment without seconds or fractions of a second (the minute it falls in)."""
    if moment is None or not isinstance(moment, datetime):
        return moment
    return moment.replace(second=0, microsecond=0)


def validate_whole_minute(moment: datetime | None) -> None:
    if isinstance(moment, datetime) and (moment.second or moment.microsecond):
        raise ValidationError(WHOLE_MINUTE_MESSAGE, code="whole_minute")


class MinuteDateTimeField(models.DateTimeField):
    """A DateTimeField stored at the precision pages show: whole minutes."""

    default_validators = [validate_whole_minute]

    def pre_save(self, model_instance, add):
        value = to_minute(super().pre_save(model_instance, add))
        setattr(model_instance, self.attname, value)  # the saved object says what the database holds
        return value

    def get_db_prep_save(self, value, connection):
        # QuerySet.update() and bulk_update() come here without pre_save.
        return super().get_db_prep_save(to_minute(value), connection)


class WholeMinute(models.Func):
    """SQL that is true when a datetime column holds no seconds or fractions of a second (NULL passes).

    PostgreSQL compares in UTC explicitly, so the session's time zone cannot change the answer; SQLite
    (``make run``) stores text and uses its built-in strftime, so any client enforces it the same way.
    """

    output_field = models.BooleanField()
    conditional = True
    arity = 1

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        utc = f"(({sql}) AT TIME ZONE 'UTC')"
        return f"(date_trunc('minute', {utc}) = {utc})", (*params, *params)

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(strftime('%%Y-%%m-%%d %%H:%%M:00', {sql}) = {sql})", (*params, *params)


def whole_minute_constraint(field: str, *, model: str) -> models.CheckConstraint:
    """The database's copy of the rule for one MinuteDateTimeField."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True}) | WholeMinute(field),
        name=f"{model}_{field}_whole_minute",
        violation_error_message=WHOLE_MINUTE_MESSAGE,
    )
