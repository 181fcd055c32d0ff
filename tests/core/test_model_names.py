"""Every object is named by what people know it by: a reference, a name, a title, an email address.

`str(obj)` is what the admin puts in page titles ("<object> | Change booking"), breadcrumbs, history entries
(LogEntry keeps it), delete confirmations and messages. So for every model of the portal's apps, on real rows:

- the name never shows a database id ("Status changed on 2 at ..."): every id the object holds (its own and
  those of the objects it points to) is swapped for an unlikely number, and the name must not contain it;
- the name never says "None" or Django's "Booking object (3)", even with each optional field empty (a deleted
  booker's account, a cost line without an amount yet).

A new model is covered without editing this file; one with no row in the world fails until it gets one.
"""

import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from crossector.core import mfa_enrolment
from tests.security.world import world_build

pytestmark = pytest.mark.django_db

APPS = ("crossector", "hubs", "events", "awards")
SENTINEL = 987654321


def portal_models():
    return sorted(
        (m for m in apps.get_models() if m.__module__.split(".")[0] in APPS and not m._meta.proxy),
        key=lambda m: m._meta.label,
    )


@pytest.fixture
def one_of_everything():
    """The demo world, the URL walk's world and the few rows neither makes; one row per model."""
    from awards.models import (
        ApplicationEvent,
        CallOpenNoticeRequest,
        CostLine,
        OutcomeEmailTemplate,
        ReminderSent,
    )

    call_command("seed_demo", stdout=io.StringIO())
    world = world_build()
    mfa_enrolment.enrolment_link_send(user=world.reviewer, address=world.reviewer.email)
    ReminderSent.objects.create(application=world.draft, offset_days=7)
    CostLine.objects.create(application=world.draft, category="travel", amount=Decimal("1234.50"))
    ApplicationEvent.objects.create(
        application=world.submitted, kind=ApplicationEvent.Kind.STATUS, from_status="submitted", to_status="eligible"
    )
    CallOpenNoticeRequest.objects.create(user=world.other)
    OutcomeEmailTemplate.objects.create(call=world.submitted.call, outcome="awarded", subject="Awarded", body="Yes")
    rows = {}
    for model in portal_models():
        row = model.objects.order_by("?").first()
        if row is not None:
            rows[model] = row
    return rows


def _name_with_ids_swapped(obj) -> str:
    """str(obj) after every id it holds is replaced, keeping the objects it points to (already fetched)."""
    for field in obj._meta.concrete_fields:
        if field.is_relation:
            getattr(obj, field.name)  # fetch and cache the related object before its id is swapped
    for field in obj._meta.concrete_fields:
        if field.primary_key and not field.is_relation and not isinstance(field, models.AutoField | models.UUIDField):
            continue  # a natural key (a year) is what people know it by
        if field.primary_key or field.is_relation:
            obj.__dict__[field.attname] = SENTINEL  # past the descriptor, so the cached object stays
    return str(obj)


def test_every_portal_model_has_a_row_to_check(one_of_everything):
    missing = [m._meta.label for m in portal_models() if m not in one_of_everything]
    assert missing == [], f"add a row of these models to one_of_everything: {missing}"


def test_no_object_is_named_by_its_database_id(one_of_everything):
    offenders = []
    for model, obj in one_of_everything.items():
        name = _name_with_ids_swapped(obj)
        if str(SENTINEL) in name:
            offenders.append(f"{model._meta.label}: {name!r}")
    assert offenders == [], "name objects by their reference, name or title, not by an id"


def test_no_object_is_named_none_even_with_its_optional_fields_empty(one_of_everything):
    offenders = []
    for model, obj in one_of_everything.items():
        cases = [("as saved", obj)]
        for field in model._meta.concrete_fields:
            if field.null and not field.primary_key:
                emptied = model.objects.get(pk=obj.pk)
                setattr(emptied, field.name, None)  # a deleted account, a field not filled in yet
                cases.append((f"{field.name} empty", emptied))
        for how, case in cases:
            name = str(case)
            if not name.strip() or "None" in name or f"{model.__name__} object" in name:
                offenders.append(f"{model._meta.label} ({how}): {name!r}")
    assert offenders == []


def test_the_names_the_tester_saw_now_say_what_people_know(one_of_everything):
    from awards.models import Application, ApplicationEvent
    from events.models import Booking

    event = ApplicationEvent.objects.filter(application__reference__gt="").select_related("application").first()
    assert str(event).startswith(f"{event.get_kind_display()} on {event.application.reference} at ")
    booking = Booking.objects.select_related("event").first()
    booking.user = None
    assert str(booking).startswith(f"Deleted account – {booking.event.title}")
    draft = Application.objects.filter(reference="").exclude(title="").first()
    assert str(draft) == f"Draft “{draft.title}” by {draft.applicant.email}"
