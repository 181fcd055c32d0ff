"""Reads for hub pages."""

from django.db.models import Count, Prefetch, QuerySet

from crossector.core.vocabulary import Region

from .models import Contact, Hub, HubFollow, Partner

# Where each nation sits on the local SVG map (static/img/uk-nations.svg, drawn in a 400×600 box).
MAP_NATIONS = (
    (Region.SCOTLAND, "Scotland"),
    (Region.NORTHERN_IRELAND, "Northern Ireland"),
    (Region.WALES, "Wales"),
    ("england", "England"),
)


def nation_of(region: str) -> str:
    return region if region in (Region.SCOTLAND, Region.WALES, Region.NORTHERN_IRELAND) else "england"


def hub_list() -> QuerySet[Hub]:
    return (
        Hub.objects.filter(is_active=True)
        .annotate(partner_count=Count("partners", distinct=True))
        .prefetch_related(Prefetch("partners", queryset=Partner.objects.order_by("order", "name")))
        .order_by("name")
    )


def hub_list_for_home() -> list[Hub]:
    return list(Hub.objects.filter(is_active=True).order_by("name"))


def hub_map(hubs) -> list[dict]:
    """One entry per UK nation for the map: its hubs (if any), so the map and the cards agree."""
    by_nation: dict[str, list[Hub]] = {}
    for hub in hubs:
        by_nation.setdefault(nation_of(hub.region), []).append(hub)
    return [{"key": key, "name": name, "hubs": by_nation.get(key, [])} for key, name in MAP_NATIONS]


def hub_get_public(*, slug: str) -> Hub:
    return (
        Hub.objects.filter(is_active=True, slug=slug)
        .prefetch_related(
            Prefetch("partners", queryset=Partner.objects.order_by("order", "name")),
            Prefetch("contacts", queryset=Contact.objects.order_by("order", "name")),
        )
        .get()
    )


def hub_is_followed(*, hub: Hub, user) -> bool:
    return bool(user.is_authenticated) and HubFollow.objects.filter(hub=hub, user=user).exists()


def hub_followers(*, hub: Hub) -> QuerySet[HubFollow]:
    return HubFollow.objects.filter(hub=hub, user__is_active=True).select_related("user__profile").order_by("pk")
