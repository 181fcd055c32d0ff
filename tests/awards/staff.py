"""Helpers for the staff-side tests: applications already submitted and moved to a status, reviewers."""

import itertools
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from awards.models import Application, AwardCall, CostLine, PartnerOrganisation
from crossector.core.vocabulary import Sector
from tests.awards.factories import AwardCallFactory, application
from tests.factories import person

_numbers = itertools.count(1)


def submitted(
    call: AwardCall | None = None, status: str = Application.Status.SUBMITTED, amount="45000.00", **fields
) -> Application:
    """An application as if submitted (reference, time, a partner and a cost line), set straight to `status`."""
    fields.setdefault("title", "AI for pathology triage")
    fields.setdefault("organisation", "Cardiff and Vale University Health Board")
    fields.setdefault("organisation_sector", Sector.NHS)
    if status != Application.Status.DRAFT:
        fields.setdefault("reference", f"CSEA-2099-{next(_numbers):04d}")
        fields.setdefault("submitted_at", timezone.now())
    app = application(call=call or AwardCallFactory(), status=status, **fields)
    PartnerOrganisation.objects.create(application=app, name="Helix Imaging Ltd", sector=Sector.INDUSTRY_SME)
    CostLine.objects.create(
        application=app, category=CostLine.Category.BACKFILL, amount=Decimal(amount), justification="Backfill."
    )
    return app


def reviewer():
    """A staff member in the Reviewers group, holding no permission on all applications."""
    user = person(is_staff=True)
    group, _ = Group.objects.get_or_create(name="Reviewers")
    user.groups.add(group)
    assert not user.has_perm("awards.view_application")
    return user


def staff_without_change(perms=("view_application",)):
    """Programme staff who may look at applications but not move them."""
    user = person(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="awards", codename__in=perms))
    return user
