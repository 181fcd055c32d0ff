"""What is shown is what is enforced: every moment staff set is stored in whole minutes, the minute pages show.

A deadline of 16:00:30 reads "4:00pm" on every page, so a submission at 16:00:10 must be late. The list of
datetimes staff edit is derived from the admin itself, so a new one fails here until it is decided.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from awards import rules
from awards import services as award_services
from awards.models import Application, AwardCall
from crossector.core.minutes import WHOLE_MINUTE_MESSAGE, MinuteDateTimeField
from events import services as event_services
from events.models import Booking, Event
from events.rules import Window, booking_window, can_cancel
from tests.awards.factories import AwardCallFactory, application, complete
from tests.conftest import login_with_mfa
from tests.events.factories import BookingFactory, EventFactory
from tests.factories import person

pytestmark = pytest.mark.django_db

# Boundaries staff set: whole minutes, enforced in the form, on every write and by the database.
MINUTE_FIELDS = {
    ("awards", "AwardCall", "opens_at"),
    ("awards", "AwardCall", "closes_at"),
    ("awards", "Application", "extension_until"),
    ("events", "Event", "starts_at"),
    ("events", "Event", "ends_at"),
    ("events", "Event", "booking_opens_at"),
    ("events", "Event", "booking_closes_at"),
}
# Records of when something happened: no rule treats them as a boundary staff chose, so they keep full precision.
RECORDS = {
    ("events", "Booking", "attended_at"): "when a person was checked in",
    ("awards", "CallOpenNoticeRequest", "created_at"): "when a person asked to hear about the next call",
    ("awards", "CallOpenNoticeRequest", "notified_at"): "when that person was told",
}
SUMMER, WINTER = date(2027, 7, 14), date(2027, 2, 25)
# Seconds, fractions, both, the last instant of a minute; in BST and in GMT.
MORE_PRECISE = [
    (SUMMER, time(16, 0, 30)),
    (WINTER, time(16, 0, 30)),
    (SUMMER, time(9, 15, 0, 500000)),
    (WINTER, time(23, 59, 59, 999999)),
    (SUMMER, time(0, 0, 1)),
]


def _staff_request():
    request = RequestFactory().get("/admin/")
    request.user = person(is_staff=True, is_superuser=True)
    return request


def staff_edited_datetime_fields() -> set[tuple[str, str, str]]:
    """Every datetime in awards, events and hubs that some admin form (or inline) lets staff change."""
    request = _staff_request()
    found = set()
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("awards", "events", "hubs"):
            continue
        for obj in (None, model()):
            candidates = [(model_admin, model_admin.get_form)]
            candidates += [(inline, None) for inline in model_admin.get_inline_instances(request, obj)]
            for each, get_form in candidates:
                may_add = (
                    each.has_add_permission(request, obj) if get_form is None else each.has_add_permission(request)
                )
                if not (each.has_change_permission(request, obj) or may_add):
                    continue
                form = get_form(request, obj) if get_form else each.get_formset(request, obj).form
                concrete = each.model._meta.concrete_model
                for name in form.base_fields:
                    try:
                        field = concrete._meta.get_field(name)
                    except Exception:  # noqa: BLE001 - a form-only field
                        continue
                    if isinstance(field, models.DateTimeField):
                        found.add((concrete._meta.app_label, concrete.__name__, name))
    return found


def test_every_datetime_staff_edit_is_whole_minutes_or_a_named_record():
    found = staff_edited_datetime_fields()
    assert found == MINUTE_FIELDS | set(RECORDS), "decide: a boundary (MINUTE_FIELDS) or a record (RECORDS)?"
    for app_label, model_name, name in MINUTE_FIELDS:
        model = _model(app_label, model_name)
        assert isinstance(model._meta.get_field(name), MinuteDateTimeField), name
        assert any(name in c.name and "whole_minute" in c.name for c in model._meta.constraints), name


def _model(app_label, model_name):
    from django.apps import apps

    return apps.get_model(app_label, model_name)


def _objects():
    """One saved object holding each minute field, with every nullable one filled."""
    call = AwardCallFactory()
    app = application(call=call, extension_until=call.closes_at + timedelta(days=2))
    start = timezone.now() + timedelta(days=20)
    event = EventFactory(
        starts_at=start, booking_opens_at=start - timedelta(days=10), booking_closes_at=start - timedelta(hours=1)
    )
    return {"AwardCall": call, "Application": app, "Event": event}


def _shifted(current: datetime, clock: time) -> datetime:
    """The field's own moment, moved by the seconds and fractions of `clock` (so other rules still hold)."""
    return current.replace(second=clock.second, microsecond=clock.microsecond)


@pytest.mark.parametrize("field", sorted(MINUTE_FIELDS))
@pytest.mark.parametrize("day,clock", MORE_PRECISE)
def test_a_moment_with_seconds_is_written_as_its_minute_by_save_update_and_bulk_create(field, day, clock):
    _, model_name, name = field
    obj = _objects()[model_name]
    model = type(obj)
    precise = _shifted(getattr(obj, name), clock)

    setattr(obj, name, precise)
    obj.save()
    assert getattr(obj, name) == precise.replace(second=0, microsecond=0)  # the object says what is stored
    obj.refresh_from_db()
    assert getattr(obj, name) == precise.replace(second=0, microsecond=0)

    model.objects.filter(pk=obj.pk).update(**{name: precise + timedelta(minutes=1)})
    obj.refresh_from_db()
    assert getattr(obj, name) == precise.replace(second=0, microsecond=0) + timedelta(minutes=1)

    stored = model.objects.filter(pk=obj.pk).values_list(name, flat=True).get()
    assert stored.second == 0 and stored.microsecond == 0


def test_bulk_create_cuts_seconds_too():
    start = datetime(2027, 7, 14, 15, 0, 30, 250000, tzinfo=UTC)
    [event] = Event.objects.bulk_create(
        [Event(title="Bulk", slug="bulk", starts_at=start, ends_at=start + timedelta(hours=2, seconds=5))]
    )
    event.refresh_from_db()
    assert (event.starts_at, event.ends_at) == (
        start.replace(second=0, microsecond=0),
        start.replace(hour=17, second=0, microsecond=0),
    )


@pytest.mark.parametrize("field", sorted(MINUTE_FIELDS))
@pytest.mark.parametrize("day,clock", MORE_PRECISE[:3])
def test_full_clean_refuses_seconds_with_a_message_on_the_field(field, day, clock):
    _, model_name, name = field
    obj = _objects()[model_name]
    setattr(obj, name, _shifted(getattr(obj, name), clock))
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    assert caught.value.message_dict[name] == [WHOLE_MINUTE_MESSAGE]


@pytest.mark.parametrize("field", sorted(MINUTE_FIELDS))
def test_the_database_refuses_seconds_written_round_the_orm(field):
    _, model_name, name = field
    obj = _objects()[model_name]
    table = connection.ops.quote_name(type(obj)._meta.db_table)
    column = connection.ops.quote_name(name)
    precise = getattr(obj, name) + timedelta(seconds=30)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [precise, obj.pk])  # noqa: S608
    whole = getattr(obj, name) + timedelta(minutes=1)
    with connection.cursor() as cursor:  # control: a whole minute goes in
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [whole, obj.pk])  # noqa: S608


# --- The admin: a time with seconds is refused next to the field, nothing is saved -------------------------------

ADMIN_PAGES = {"AwardCall": "admin:awards_awardcall_change", "Application": "admin:awards_application_change"}
ADMIN_PAGES["Event"] = "admin:events_event_change"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def admin_form_data(response) -> dict:
    """What the browser would send back unchanged: every field of the change form and its inlines."""
    context = response.context
    all_forms = [context["adminform"].form]
    for inline in context.get("inline_admin_formsets", []):
        all_forms += [inline.formset.management_form, *inline.formset.forms]
    data = {"_save": "Save"}
    for form in all_forms:
        for bound in form:
            value, widget = bound.value(), bound.field.widget
            if isinstance(widget, forms.MultiWidget):
                parts = value if isinstance(value, list) else widget.decompress(value)
                for suffix, part in zip(widget.widgets_names, parts, strict=True):
                    data[bound.html_name + suffix] = _text(part)
            elif isinstance(bound.field, forms.BooleanField):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = _text(value)
    return data


@pytest.mark.parametrize("field", sorted(MINUTE_FIELDS))
@pytest.mark.parametrize("typed", ["{hm}:30", "{hm}:00.5", "{hm}:59.999999"])
def test_admin_refuses_a_time_with_seconds_and_accepts_the_same_minute(client, staff_user, field, typed):
    _, model_name, name = field
    obj = _objects()[model_name]
    before = getattr(obj, name)
    login_with_mfa(client, staff_user)
    url = reverse(ADMIN_PAGES[model_name], args=[obj.pk])
    data = admin_form_data(client.get(url))
    new = timezone.localtime(before + timedelta(minutes=5))
    data[f"{name}_0"], data[f"{name}_1"] = new.date().isoformat(), typed.format(hm=new.strftime("%H:%M"))

    refused = client.post(url, data)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors[name] == [WHOLE_MINUTE_MESSAGE]
    assert WHOLE_MINUTE_MESSAGE in refused.content.decode()
    obj.refresh_from_db()
    assert getattr(obj, name) == before  # nothing saved

    data[f"{name}_1"] = new.strftime("%H:%M")
    accepted = client.post(url, data)
    assert accepted.status_code == 302, accepted.context and accepted.context["adminform"].form.errors
    obj.refresh_from_db()
    assert getattr(obj, name) == new.replace(second=0, microsecond=0)


# --- Enforced at the minute shown ---------------------------------------------------------------------------------


def _moment(day: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hh, mm, ss)), rules.UK)


@pytest.mark.parametrize("day", [SUMMER, WINTER])
def test_a_deadline_typed_as_16_00_30_is_shown_as_4pm_and_a_submission_at_16_00_10_is_late(day):
    call = AwardCallFactory(opens_at=_moment(day, 9, 0) - timedelta(days=40), closes_at=_moment(day, 16, 0, 30))
    late, on_time = complete(application(call=call)), complete(application(call=call))
    call.refresh_from_db()
    assert rules.format_uk(call.closes_at).endswith("4:00pm UK time")  # in BST and in GMT
    with time_machine.travel(_moment(day, 15, 59, 59), tick=False):
        award_services.application_submit(application=on_time, user=on_time.applicant)
    with time_machine.travel(_moment(day, 16, 0, 10), tick=False):
        with pytest.raises(award_services.ApplicationError, match="4:00pm"):
            award_services.application_submit(application=late, user=late.applicant)
        assert not AwardCall.objects.get(pk=call.pk).is_open()
    late.refresh_from_db()
    assert late.status == Application.Status.DRAFT


@pytest.mark.parametrize("day", [SUMMER, WINTER])
def test_an_extension_typed_with_seconds_ends_at_the_minute_shown(day):
    call = AwardCallFactory(opens_at=_moment(day, 9, 0) - timedelta(days=40), closes_at=_moment(day, 9, 0))
    app = complete(application(call=call, extension_until=_moment(day, 16, 0, 45)))
    app.refresh_from_db()
    assert rules.format_uk(app.deadline).split(", ")[1].startswith("4:00pm")
    with time_machine.travel(_moment(day, 16, 0, 10), tick=False), pytest.raises(award_services.ApplicationError):
        award_services.application_submit(application=app, user=app.applicant)


@pytest.mark.parametrize("day", [SUMMER, WINTER])
def test_a_call_opening_at_16_00_30_is_open_at_16_00_10(day):
    call = AwardCallFactory(opens_at=_moment(day, 16, 0, 30), closes_at=_moment(day, 16, 0) + timedelta(days=30))
    call.refresh_from_db()
    with time_machine.travel(_moment(day, 16, 0, 10), tick=False):
        assert call.is_open() and call.state() == "open"


@pytest.mark.parametrize("day", [SUMMER, WINTER])
def test_booking_closing_at_16_00_30_is_closed_at_16_00_10(day):
    event = EventFactory(
        starts_at=_moment(day, 18, 0), ends_at=_moment(day, 20, 0), booking_closes_at=_moment(day, 16, 0, 30)
    )
    event.refresh_from_db()
    with time_machine.travel(_moment(day, 16, 0, 10), tick=False):
        assert booking_window(event, now=timezone.now()) == Window.CLOSED
        with pytest.raises(event_services.BookingError):
            event_services.booking_create(event=event, user=person())
    assert not Booking.objects.filter(event=event).exists()


@pytest.mark.parametrize("day", [SUMMER, WINTER])
def test_booking_opening_at_16_00_30_is_open_at_16_00_10(day):
    event = EventFactory(
        starts_at=_moment(day, 18, 0), ends_at=_moment(day, 20, 0), booking_opens_at=_moment(day, 16, 0, 30)
    )
    event.refresh_from_db()
    with time_machine.travel(_moment(day, 16, 0, 10), tick=False):
        assert booking_window(event, now=timezone.now()) == Window.OPEN
        event_services.booking_create(event=event, user=person())


@pytest.mark.parametrize("day", [SUMMER, WINTER])
def test_an_event_starting_at_16_00_30_has_started_at_16_00_10(day):
    event = EventFactory(starts_at=_moment(day, 16, 0, 30), ends_at=_moment(day, 18, 0, 30))
    booking = BookingFactory(event=event)
    event.refresh_from_db()
    with time_machine.travel(_moment(day, 16, 0, 10), tick=False):
        assert booking_window(event, now=timezone.now()) == Window.STARTED
        assert not can_cancel(event, now=timezone.now())
        with pytest.raises(event_services.BookingError):
            event_services.booking_cancel(booking=booking)


@pytest.mark.parametrize("day", [SUMMER, WINTER])
def test_an_event_ending_at_18_00_30_is_past_at_18_00_10(client, day):
    event = EventFactory(starts_at=_moment(day, 16, 0), ends_at=_moment(day, 18, 0, 30))
    with time_machine.travel(_moment(day, 18, 0, 10), tick=False):
        page = client.get(event.get_absolute_url())
    assert page.context["is_past"] is True
