"""Demo events for seed_demo: the three past Wales events, upcoming events (one online, one nearly
full, one with a waiting list), bookings by the demo attendee, and a hub organiser for Wales.
Idempotent: events are found by slug, people by email, bookings by (event, person)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from crossector.core.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, person_ensure, totp_ensure
from crossector.core.models import PriorityArea
from crossector.core.vocabulary import Region, Sector
from hubs.models import Hub

from .models import Booking, Event
from .permissions import ORGANISERS_GROUP, organisers_group_ensure

LONDON = ZoneInfo("Europe/London")


def _at(day, hour=10, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def _upcoming(days, hour=10) -> datetime:
    return _at(timezone.localdate() + timedelta(days=days), hour)


def _events(wales, scotland):
    d = datetime.fromisoformat
    return [
        {
            "slug": "wales-precision-medicine-2022",
            "hub": wales,
            "title": "Innovation in precision medicine",
            "summary": "The Wales hub's first event: how NHS Wales, industry and academia can work together on "
            "precision medicine.",
            "starts_at": d("2022-11-17T10:00+00:00"),
            "hours": 5,
            "venue_name": "Cardiff",
            "address": "Cardiff",
            "areas": ["genomics", "pathology"],
            "capacity": 80,
        },
        {
            "slug": "wales-care-closer-to-home-2023",
            "hub": wales,
            "title": "How digital applications can help bring care closer to home",
            "summary": "Digital tools that let people be cared for at home or in their community.",
            "starts_at": d("2023-04-20T10:00+01:00"),
            "hours": 5,
            "venue_name": "Cardiff",
            "address": "Cardiff",
            "areas": ["medical-imaging"],
            "capacity": 80,
        },
        {
            "slug": "wales-swansea-2023",
            "hub": wales,
            "title": "Wales hub networking event, Swansea",
            "summary": "Meeting collaborators across sectors in south-west Wales.",
            "starts_at": d("2023-11-22T10:00+00:00"),
            "hours": 5,
            "venue_name": "Swansea",
            "address": "Swansea",
            "areas": ["drug-development"],
            "capacity": 80,
        },
        {
            "slug": "wales-cancer-innovation",
            "hub": wales,
            "title": "Cancer innovation: digital innovation and early diagnostics",
            "summary": "With the University of South Wales: faster diagnosis through digital tools.",
            "starts_at": _upcoming(21),
            "hours": 4,
            "venue_name": "University of South Wales, Treforest campus",
            "address": "Llantwit Road, Pontypridd CF37 1DL",
            "areas": ["pathology", "medical-imaging"],
            "capacity": 12,
        },
        {
            "slug": "scotland-cell-gene-therapy",
            "hub": scotland,
            "title": "Cell and gene therapy: from lab to clinic",
            "summary": "Clinicians, manufacturers and regulators on getting advanced therapies to patients.",
            "starts_at": _upcoming(35),
            "hours": 4,
            "venue_name": "Royal College of Physicians of Edinburgh",
            "address": "9 Queen Street, Edinburgh EH2 1JQ",
            "areas": ["cell-gene-therapy"],
            "capacity": 6,
        },
        {
            "slug": "meet-the-president-online",
            "hub": None,
            "title": "Meet the President (online)",
            "summary": "An informal online conversation with the Academy's President.",
            "starts_at": _upcoming(10, 17),
            "hours": 1,
            "format": Event.Format.ONLINE,
            "venue_name": "",
            "address": "",
            "online_url": "https://meet.example.org/ams-meet-the-president",
            "areas": [],
            "capacity": None,
        },
        {
            "slug": "meet-the-president-edinburgh",
            "hub": None,
            "title": "Meet the President, Edinburgh",
            "summary": "Meet the Academy's President and Fellows in Edinburgh.",
            "starts_at": _upcoming(49, 18),
            "hours": 2,
            "venue_name": "Edinburgh",
            "address": "Edinburgh",
            "areas": [],
            "capacity": 60,
        },
        {
            "slug": "mentoring-masterclass",
            "hub": None,
            "title": "Mentoring Masterclass",
            "summary": "Practical mentoring skills for people working across sectors.",
            "starts_at": _upcoming(28, 13),
            "hours": 3,
            "format": Event.Format.HYBRID,
            "venue_name": "Academy of Medical Sciences",
            "address": "41 Portland Place, London W1B 1QH",
            "online_url": "https://meet.example.org/ams-mentoring",
            "areas": [],
            "capacity": 40,
        },
    ]


def _crowd(n):
    sectors = [
        Sector.NHS,
        Sector.INDUSTRY_LARGE,
        Sector.ACADEMIA,
        Sector.REGULATOR,
        Sector.CHARITY,
        Sector.INDUSTRY_SME,
        Sector.GOVERNMENT,
        Sector.PATIENTS_PUBLIC,
    ]
    return [
        person_ensure(
            email=f"demo.person{i}@example.org",
            full_name=f"Demo Person {i}",
            organisation="Demo organisation",
            job_title="Programme participant",
            sector=sectors[i % len(sectors)],
            region=Region.WALES,
        )
        for i in range(1, n + 1)
    ]


def _book(event, user, status=Booking.Status.CONFIRMED, attended=False):
    booking = Booking.objects.filter(event=event, user=user).exclude(status=Booking.Status.CANCELLED).first()
    if booking:
        return booking
    return Booking.objects.create(
        event=event,
        user=user,
        status=status,
        sector=user.profile.sector,
        attendee_list_consent=True,
        attended_at=event.starts_at if attended else None,
    )


def seed(users) -> str:
    wales, scotland = Hub.objects.get(slug="wales"), Hub.objects.get(slug="scotland")
    events = {}
    for spec in _events(wales, scotland):
        spec = dict(spec)
        areas, hours = spec.pop("areas"), spec.pop("hours")
        spec["ends_at"] = spec["starts_at"] + timedelta(hours=hours)
        spec.setdefault("status", Event.Status.PUBLISHED)
        event, created = Event.objects.get_or_create(slug=spec.pop("slug"), defaults=spec)
        if created:
            event.priority_areas.set(PriorityArea.objects.filter(slug__in=areas))
            event.published_at = event.created_at
            event.save(update_fields=["published_at"])
        events[event.slug] = event

    crowd = _crowd(10)
    # Nearly full: 10 of 12 places taken.
    for user in crowd[:10]:
        _book(events["wales-cancer-innovation"], user)
    # Full with a waiting list: 6 of 6, and two people waiting.
    for user in crowd[:6]:
        _book(events["scotland-cell-gene-therapy"], user)
    for user in crowd[6:8]:
        _book(events["scotland-cell-gene-therapy"], user, Booking.Status.WAITLISTED)
    attendee = users["attendee"]
    _book(events["meet-the-president-online"], attendee)
    _book(events["wales-swansea-2023"], attendee, attended=True)
    _book(events["wales-swansea-2023"], users["applicant"], attended=True)

    group = organisers_group_ensure()
    organiser = person_ensure(
        email="organiser@example.org",
        full_name="Gareth Lewis",
        organisation="Life Sciences Hub Wales",
        job_title="Events manager",
        sector=Sector.GOVERNMENT,
        region=Region.WALES,
        is_staff=True,
        groups=(ORGANISERS_GROUP,),
    )
    organiser.groups.add(group)
    wales.organisers.add(organiser)
    totp_ensure(user=organiser, secret=DEMO_TOTP_SECRET)  # the admin asks for a second factor, like staff's
    return (
        f"{len(events)} events (3 past Wales events; upcoming: one online, one nearly full, one with a "
        f"waiting list); hub organiser for Wales: organiser@example.org / {DEMO_PASSWORD} "
        f"(two-factor setup key {DEMO_TOTP_SECRET}, as for staff)"
    )
