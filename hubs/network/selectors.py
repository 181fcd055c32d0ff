"""Reads for the network pages. Privacy lives here: every list of people goes through these functions.

- The directory shows only people who switched it on, and filters or searches only on the details each
  person chose to show (searching by organisation never finds someone who hid their organisation).
- A block hides the two people from each other everywhere, whichever of them blocked.
- Email addresses appear only between people whose connection request was accepted.
"""

from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.crypto import salted_hmac

from crossector.core.models import PriorityArea, Profile, User

from . import matching
from .models import Block, ConnectionRequest

PAGE_SIZE = 20


def _booking_model():
    # The one place the network reads the events app, looked up by name so that hubs keeps no import
    # of events (events depends on hubs, not the other way round).
    return apps.get_model("events", "Booking")


def _event_model():
    return apps.get_model("events", "Event")


def event_for_people_page(*, slug: str):
    """A published event by slug, or None."""
    Event = _event_model()
    return Event.objects.select_related("hub").filter(slug=slug, status=Event.Status.PUBLISHED).first()


def _blocked_between(viewer_pk, user_ref) -> Q:
    """Q for "the person at user_ref and the viewer have blocked each other, either way"."""
    return Q(Exists(Block.objects.filter(blocker_id=viewer_pk, blocked_id=user_ref))) | Q(
        Exists(Block.objects.filter(blocker_id=user_ref, blocked_id=viewer_pk))
    )


def is_blocked_between(*, a: User, b: User) -> bool:
    return Block.objects.filter(Q(blocker=a, blocked=b) | Q(blocker=b, blocked=a)).exists()


def _listed() -> QuerySet[Profile]:
    return Profile.objects.filter(directory_listed=True, user__is_active=True).exclude(full_name="")


def directory_profiles(*, viewer: User) -> QuerySet[Profile]:
    """Everyone the viewer may see in the directory: opted in, active, not blocked either way."""
    return (
        _listed()
        .exclude(_blocked_between(viewer.pk, OuterRef("user_id")))
        .select_related("user")
        .prefetch_related(Prefetch("interests", queryset=PriorityArea.objects.order_by("id")))
    )


def _filtered(qs: QuerySet[Profile], *, q="", sector="", areas=(), region="", open_to=()) -> QuerySet[Profile]:
    if q:
        qs = qs.filter(Q(full_name__icontains=q) | Q(directory_show_organisation=True, organisation__icontains=q))
    if sector:
        qs = qs.filter(sector=sector)
    if areas:
        qs = qs.filter(
            Exists(Profile.interests.through.objects.filter(profile_id=OuterRef("pk"), priorityarea__in=areas)),
            directory_show_interests=True,
        )
    if region:
        qs = qs.filter(region=region, directory_show_region=True)
    for name in open_to:
        if name in Profile.OPEN_TO_FIELDS:
            qs = qs.filter(**{name: True})
    return qs


def directory_search(
    *,
    viewer: User,
    q: str = "",
    sector: str = "",
    areas=(),
    region: str = "",
    open_to=(),
) -> QuerySet[Profile]:
    qs = _filtered(directory_profiles(viewer=viewer), q=q, sector=sector, areas=areas, region=region, open_to=open_to)
    return qs.order_by("full_name", "pk")


def directory_count(*, viewer: User, **filters) -> int:
    """How many people `directory_search` finds for the viewer with these filters.

    Counting under the per-row block check read every listed profile (8 ms at 4,000 listed, in PostgreSQL,
    on every page view). Instead: everyone listed who matches, which is the same for every viewer and kept
    for PAGE_CACHE_SECONDS, minus the people blocked either way with the viewer, counted live from the
    viewer's few blocks. So a block or unblock shows in the count at once; someone switching their listing
    on or off shows in others' counts within PAGE_CACHE_SECONDS (the list itself is always live)."""
    # Keyed with the secret key: the filters hold a name someone typed, and a plain digest could be guessed back.
    key = "directory:count:" + salted_hmac("directory-count", repr(_filters_identity(filters))).hexdigest()
    total = cache.get(key)
    if total is None:
        total = _filtered(_listed(), **filters).count()
        cache.set(key, total, settings.PAGE_CACHE_SECONDS)
    pairs = Block.objects.filter(Q(blocker=viewer) | Q(blocked=viewer)).values_list("blocker_id", "blocked_id")
    hidden_ids = {person for pair in pairs for person in pair} - {viewer.pk}
    hidden = _filtered(_listed(), **filters).filter(user_id__in=hidden_ids).count() if hidden_ids else 0
    return max(0, total - hidden)


def _filters_identity(filters: dict) -> tuple:
    areas = sorted(getattr(area, "pk", area) for area in filters.get("areas", ()))
    return (
        filters.get("q", ""),
        filters.get("sector", ""),
        tuple(areas),
        filters.get("region", ""),
        tuple(sorted(filters.get("open_to", ()))),
    )


def directory_page(*, queryset: QuerySet[Profile], page_number, count: int | None = None) -> Page:
    paginator = Paginator(queryset, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: the known count saves the paginator's COUNT(*)
    return paginator.get_page(page_number)


def directory_person_get(*, viewer: User, user_id: int) -> Profile:
    """One directory entry; DoesNotExist for anyone not listed, or blocked either way."""
    return directory_profiles(viewer=viewer).get(user_id=user_id)


def known_person_get(*, viewer: User, user_id: int) -> User:
    """Someone the viewer may block or report: in the directory, or in a request with the viewer.

    The sender of a request need not be listed themselves, and the recipient must still be able to act.
    """
    visible = directory_profiles(viewer=viewer).filter(user_id=user_id).exists()
    involved = ConnectionRequest.objects.filter(
        Q(sender_id=user_id, recipient=viewer) | Q(sender=viewer, recipient_id=user_id)
    ).exists()
    if user_id == viewer.pk or not (visible or involved):
        raise User.DoesNotExist
    return User.objects.select_related("profile").get(pk=user_id)


def blocked_person_get(*, viewer: User, user_id: int) -> User:
    """Someone the viewer has blocked (so may unblock); DoesNotExist for any other id, existing or not."""
    return User.objects.select_related("profile").get(
        pk__in=Block.objects.filter(blocker=viewer, blocked_id=user_id).values("blocked_id")
    )


def connection_between(*, a: User, b: User) -> ConnectionRequest | None:
    """The live request between two people (pending or accepted), whichever of them sent it."""
    return (
        ConnectionRequest.objects.filter(
            Q(sender=a, recipient=b) | Q(sender=b, recipient=a),
            status__in=[ConnectionRequest.Status.PENDING, ConnectionRequest.Status.ACCEPTED],
        )
        .order_by("-created_at")
        .first()
    )


def are_connected(*, a: User, b: User) -> bool:
    """Connected means an accepted request and no block: only then do they see each other's email."""
    accepted = ConnectionRequest.objects.filter(
        Q(sender=a, recipient=b) | Q(sender=b, recipient=a), status=ConnectionRequest.Status.ACCEPTED
    ).exists()
    return accepted and not is_blocked_between(a=a, b=b)


def visible_email(*, viewer: User, other: User) -> str:
    return other.email if viewer.pk != other.pk and are_connected(a=viewer, b=other) else ""


def connection_request_get_for(*, user: User, request_id: int) -> ConnectionRequest:
    """A request its sender or recipient may open; DoesNotExist otherwise, and once either blocked the other."""
    return (
        ConnectionRequest.objects.filter(Q(sender=user) | Q(recipient=user), pk=request_id)
        .exclude(
            Q(Exists(Block.objects.filter(blocker=OuterRef("sender"), blocked=OuterRef("recipient"))))
            | Q(Exists(Block.objects.filter(blocker=OuterRef("recipient"), blocked=OuterRef("sender"))))
        )
        .select_related("sender__profile", "recipient__profile")
        .get()
    )


@dataclass(frozen=True)
class Connection:
    person: User
    request: ConnectionRequest
    email: str


def connections_overview(*, user: User) -> dict:
    """Requests waiting for the user, requests they sent, their connections (with emails) and blocks."""
    blocked = Q(Exists(Block.objects.filter(blocker=OuterRef("sender"), blocked=OuterRef("recipient")))) | Q(
        Exists(Block.objects.filter(blocker=OuterRef("recipient"), blocked=OuterRef("sender")))
    )
    live = (
        ConnectionRequest.objects.filter(Q(sender=user) | Q(recipient=user))
        .filter(status__in=[ConnectionRequest.Status.PENDING, ConnectionRequest.Status.ACCEPTED])
        .exclude(blocked)
        .select_related("sender__profile", "recipient__profile")
    )
    incoming, outgoing, connections = [], [], []
    for req in live:
        if req.status == ConnectionRequest.Status.ACCEPTED:
            other = req.other(user)
            connections.append(Connection(person=other, request=req, email=other.email))
        elif req.recipient_id == user.pk:
            incoming.append(req)
        else:
            outgoing.append(req)
    connections.sort(key=lambda c: c.person.get_full_name().casefold())
    blocks = Block.objects.filter(blocker=user).select_related("blocked__profile")
    return {"incoming": incoming, "outgoing": outgoing, "connections": connections, "blocks": list(blocks)}


# --- People to meet at an event ---------------------------------------------------------------


def _attendee_bookings(*, event):
    Booking = _booking_model()
    return Booking.objects.filter(event=event, status=Booking.Status.CONFIRMED, attendee_list_consent=True)


def attendee_list_access(*, event, viewer: User) -> tuple[bool, str]:
    """(allowed, reason): only confirmed attendees who agreed to be on the list see who else is on it."""
    Booking = _booking_model()
    booking = Booking.objects.filter(event=event, user=viewer).exclude(status=Booking.Status.CANCELLED).first()
    if booking is None or booking.status != Booking.Status.CONFIRMED:
        return False, "The attendee list is open to people with a confirmed place at this event."
    if not booking.attendee_list_consent:
        return False, (
            "You did not agree to appear on the attendee list when you booked, so you cannot see it "
            "either. Other attendees see each other only if they agreed to be seen."
        )
    return True, ""


def event_attendee_profiles(*, event, viewer: User | None = None) -> list[Profile]:
    """Confirmed attendees who consented, as profiles (with interests), minus the viewer and blocked pairs."""
    qs = (
        Profile.objects.filter(
            user__is_active=True,
            user_id__in=_attendee_bookings(event=event).values("user_id"),
        )
        .select_related("user")
        .prefetch_related(Prefetch("interests", queryset=PriorityArea.objects.order_by("id")))
        .order_by("full_name", "pk")
    )
    if viewer is not None:
        qs = qs.exclude(user=viewer).exclude(_blocked_between(viewer.pk, OuterRef("user_id")))
    return list(qs)


def shared_interest_slugs(profile: Profile) -> frozenset[str]:
    """The interests a person lets others see: only those shown in the directory count for matching."""
    if not (profile.directory_listed and profile.directory_show_interests):
        return frozenset()
    return frozenset(area.slug for area in profile.interests.all())


def as_match_person(profile: Profile, *, own: bool = False) -> matching.Person:
    interests = frozenset(a.slug for a in profile.interests.all()) if own else shared_interest_slugs(profile)
    return matching.Person(
        user_id=profile.user_id,
        name=profile.full_name or profile.user.email,
        sector=profile.sector,
        interests=interests,
    )


@dataclass(frozen=True)
class MatchRow:
    profile: Profile
    reason: str
    score: int


def people_to_meet(*, viewer_profile: Profile, attendees: list[Profile], limit: int = 10) -> list[MatchRow]:
    by_id = {p.user_id: p for p in attendees}
    ranked = matching.rank(
        as_match_person(viewer_profile, own=True), [as_match_person(p) for p in attendees], limit=limit
    )
    return [MatchRow(profile=by_id[m.person.user_id], reason=m.reason, score=m.score) for m in ranked]


def event_people_context(*, event, viewer: User) -> dict:
    attendees = event_attendee_profiles(event=event, viewer=viewer)
    viewer_profile = Profile.objects.prefetch_related("interests").get(user=viewer)
    return {
        "attendees": attendees,
        "people_to_meet": people_to_meet(viewer_profile=viewer_profile, attendees=attendees),
    }


# --- Find a host ------------------------------------------------------------------------------


def hosts_for_call(*, viewer: User | None = None, call=None, limit: int = 8) -> list[Profile]:
    """Directory people open to hosting a placement, for an award call page.

    Only for signed-in viewers (the directory is for members). The applicant's partner must be in a
    different sector, so people in the viewer's own sector are left out. `call` is accepted for a
    future filter by the call's priority areas; every call lists the same hosts today.
    """
    if viewer is None or not viewer.is_authenticated:
        return []
    qs = directory_profiles(viewer=viewer).filter(open_to_hosting=True).exclude(user=viewer)
    own_sector = Profile.objects.filter(user=viewer).values_list("sector", flat=True).first()
    if own_sector:
        qs = qs.exclude(sector=own_sector)
    return list(qs.order_by("full_name", "pk")[:limit])
