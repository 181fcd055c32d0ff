"""Who may manage which events: the one place the hub organisers' boundary is drawn.

Programme staff manage every event. A member of the "Hub organisers" group manages only the events
of the hubs they are linked to (Hub.organisers), and their bookings; never Academy-wide events,
never another hub's attendees.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet

from crossector.core.access import Role
from hubs.permissions import ORGANISERS_GROUP, is_hub_organiser

from .models import Booking, Event

__all__ = ["ORGANISERS_GROUP", "is_hub_organiser", "events_managed_by", "bookings_managed_by", "can_check_in"]

# What the group may do in the admin. No delete, and nothing from awards: organisers never see applications.
ORGANISER_PERMISSIONS = (
    ("events", "view_event"),
    ("events", "add_event"),
    ("events", "change_event"),
    ("events", "view_booking"),
    ("events", "change_booking"),
    ("hubs", "view_hub"),
    ("hubs", "view_partner"),
    ("hubs", "view_contact"),
)


def organisers_group_ensure() -> Group:
    """The "Hub organisers" group with exactly its permissions. Safe to run again."""
    group, _ = Group.objects.get_or_create(name=ORGANISERS_GROUP)
    perms = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in ORGANISER_PERMISSIONS
    ]
    group.permissions.set(perms)
    return group


def events_managed_by(user) -> QuerySet[Event]:
    if not user.is_authenticated or not user.is_staff:
        return Event.objects.none()
    if is_hub_organiser(user):
        return Event.objects.filter(hub__organisers=user)
    return Event.objects.all()


def bookings_managed_by(user) -> QuerySet[Booking]:
    if not user.is_authenticated or not user.is_staff:
        return Booking.objects.none()
    if is_hub_organiser(user):
        return Booking.objects.filter(event__hub__organisers=user)
    return Booking.objects.all()


def check_in_role(user, event: Event) -> tuple[Role | None, str]:
    """The role `user` holds at `event`'s door, for the access policy (`crossector.core.access`): programme
    staff for every event, a hub organiser for their own hub's events, nobody else. The policy then asks
    for the second factor, as the admin does."""
    allowed, reason = can_check_in(user, event)
    if not allowed:
        return None, reason
    return (Role.HUB_ORGANISER if is_hub_organiser(user) else Role.STAFF), reason


def can_check_in(user, event: Event) -> tuple[bool, str]:
    if not user.is_authenticated or not user.is_staff:
        return False, "Only programme staff and hub organisers can check people in."
    if not user.has_perm("events.change_booking"):
        return False, "Your account cannot manage bookings."
    if not events_managed_by(user).filter(pk=event.pk).exists():
        return False, "You can only check people in at your own hub's events."
    return True, ""
