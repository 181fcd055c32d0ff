"""Hub organisers: staff from the partner organisations, limited to the hubs they are linked to."""

from django.db.models import QuerySet

from .models import Hub

ORGANISERS_GROUP = "Hub organisers"


def is_hub_organiser(user) -> bool:
    """Member of the group and not a superuser (programme staff who are superusers see everything)."""
    if not user.is_authenticated or user.is_superuser:
        return False
    cached = getattr(user, "_is_hub_organiser", None)
    if cached is None:
        cached = user.groups.filter(name=ORGANISERS_GROUP).exists()
        user._is_hub_organiser = cached
    return cached


def hubs_managed_by(user) -> QuerySet[Hub]:
    if not user.is_authenticated or not user.is_staff:
        return Hub.objects.none()
    if is_hub_organiser(user):
        return Hub.objects.filter(organisers=user)
    return Hub.objects.all()
