"""Realistic benchmark data, written fast with PostgreSQL COPY (people, bookings, applications) and
bulk_create (hubs, events, calls). Runs in the orchestrator after django.setup() on the bench database.

Counts at scale 1: 50 hubs, 2,000 events, 100,000 bookings, 10,000 applications, 20,000 people with
profiles. BENCH_SCALE multiplies every count (0.1 for a quick run while developing the scripts).
"""

import io
import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone
from django.utils.crypto import get_random_string

from awards.models import Application, AwardCall, CostLine, Document, PartnerOrganisation
from crossector.core.models import PriorityArea, Profile, User
from crossector.core.vocabulary import Region, Sector
from events.models import Booking, Event
from hubs.models import Contact, Hub, Partner

FIRST = [
    "Aled",
    "Bethan",
    "Carys",
    "Dafydd",
    "Eleri",
    "Ffion",
    "Gareth",
    "Heledd",
    "Ioan",
    "Kirsty",
    "Lewis",
    "Morag",
    "Niamh",
    "Owen",
    "Priya",
    "Rhys",
    "Siobhan",
    "Tomasz",
    "Uma",
    "Wei",
    "Yusuf",
    "Zainab",
    "Amara",
    "Callum",
    "Deepa",
    "Euan",
    "Fatima",
    "Hamish",
    "Imran",
    "Jude",
]
LAST = [
    "Jones",
    "Davies",
    "Williams",
    "Evans",
    "Thomas",
    "Roberts",
    "Campbell",
    "MacDonald",
    "Stewart",
    "Murray",
    "Patel",
    "Khan",
    "Singh",
    "Chen",
    "Okafor",
    "Nowak",
    "Fraser",
    "Reid",
    "Hughes",
    "Price",
    "Morgan",
    "Lewis",
    "Owen",
    "Ahmed",
    "Kaur",
    "Walker",
    "Wright",
    "Hall",
    "Green",
    "Baker",
]
ORGS = [
    "Cardiff and Vale UHB",
    "NHS Lothian",
    "Swansea University",
    "University of Edinburgh",
    "Genomics Start-up Ltd",
    "BioPharma UK plc",
    "MHRA",
    "Welsh Government",
    "Cancer Research Charity",
    "Patient Voice Network",
    "Imaging AI Ltd",
    "Cell Therapy Catapult",
    "Life Sciences Hub Wales",
    "NHS Research Scotland",
]
JOBS = [
    "Consultant",
    "Research fellow",
    "Data scientist",
    "Product manager",
    "Policy adviser",
    "Nurse specialist",
    "Lecturer",
    "Clinical scientist",
    "Head of innovation",
    "Patient partner",
]
TOPICS = [
    "precision medicine",
    "digital care closer to home",
    "AI in pathology",
    "cell and gene therapy",
    "medical imaging",
    "genomics data",
    "early cancer diagnosis",
    "drug development partnerships",
    "health data for research",
]
SECTORS = [s.value for s in Sector]
REGIONS = [r.value for r in Region if r != Region.OUTSIDE_UK]
LOREM = (
    "People from the NHS, industry, academia and charities meet to share problems and find partners. "
    "Short talks are followed by facilitated conversations and time to follow up on ideas. "
)
PASSWORD_HASH = None
SESSION_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


# The booking columns every bench loader writes (COPY), in row order.
BOOKING_COLUMNS = [
    "event",
    "user",
    "status",
    "sector",
    "dietary_requirements",
    "access_requirements",
    "attendee_list_consent",
    "created_at",
]


def scaled(n: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(round(n * scale)))


def _cell(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n").replace("\r", "")


def copy_rows(model, fields: list[str], rows) -> None:
    """COPY rows (tuples in the order of `fields`, model field names) into the model's table."""
    columns = [model._meta.get_field(f).column for f in fields]
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_cell(v) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        quoted = ", ".join(f'"{c}"' for c in columns)
        cursor.copy_expert(f'COPY "{model._meta.db_table}" ({quoted}) FROM STDIN', buffer)


def _password_hash() -> str:
    global PASSWORD_HASH
    if PASSWORD_HASH is None:
        PASSWORD_HASH = make_password("bench-password-not-used")
    return PASSWORD_HASH


def people(*, prefix: str, count: int, rng: random.Random, staff: bool = False) -> list[int]:
    """`count` verified people with complete profiles; returns their ids in order."""
    from allauth.account.models import EmailAddress

    now = timezone.now()
    emails = [f"{prefix}{i}@bench.example.org" for i in range(count)]
    copy_rows(
        User,
        ["password", "is_superuser", "email", "is_staff", "is_active", "date_joined"],
        ((_password_hash(), staff, e, staff, True, now) for e in emails),
    )
    ids = list(User.objects.filter(email__in=emails).order_by("id").values_list("id", flat=True))
    copy_rows(
        EmailAddress,
        ["email", "verified", "primary", "user"],
        ((e, True, True, i) for e, i in zip(emails, ids, strict=False)),
    )
    profile_fields = [
        "user",
        "full_name",
        "organisation",
        "job_title",
        "sector",
        "region",
        "bio",
        "updated_at",
        "directory_listed",
        "directory_show_organisation",
        "directory_show_region",
        "directory_show_interests",
        "directory_show_bio",
        "open_to_collaborating",
        "open_to_hosting",
        "open_to_mentoring",
        "open_to_co_applying",
        "open_to_speaking",
    ]
    copy_rows(
        Profile,
        profile_fields,
        (
            (
                i,
                f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                rng.choice(ORGS),
                rng.choice(JOBS),
                rng.choice(SECTORS),
                rng.choice(REGIONS),
                "Works on " + rng.choice(TOPICS) + ".",
                now,
                rng.random() < 0.2,
                True,
                True,
                True,
                True,
                rng.random() < 0.5,
                rng.random() < 0.2,
                rng.random() < 0.3,
                False,
                False,
            )
            for i in ids
        ),
    )
    return ids


def hubs(*, count: int, rng: random.Random) -> list[Hub]:
    regions = REGIONS
    objs = [
        Hub(
            name=f"{regions[i % len(regions)].replace('_', ' ').title()} hub {i + 1}",
            slug=f"bench-hub-{i + 1}",
            region=regions[i % len(regions)],
            summary="A regional networking hub of the Cross-Sector Programme.",
            description=LOREM * 3,
            is_active=True,
        )
        for i in range(count)
    ]
    Hub.objects.bulk_create(objs)
    hubs_ = list(Hub.objects.filter(slug__startswith="bench-hub-").order_by("id"))
    Partner.objects.bulk_create(
        Partner(hub=h, name=f"{rng.choice(ORGS)} ({h.pk}-{n})", website="https://partner.example.org/", order=n)
        for h in hubs_
        for n in range(2)
    )
    Contact.objects.bulk_create(
        Contact(
            hub=h,
            name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            role="Hub lead",
            email=f"hub{h.pk}@partner.example.org",
        )
        for h in hubs_
    )
    return hubs_


def events(*, count: int, hubs_: list[Hub], rng: random.Random, tag: str = "e", upcoming_share: float = 0.4) -> list:
    """Published events, a share upcoming, spread over three years; returns (id, capacity, upcoming) tuples."""
    now = timezone.now()
    areas = list(PriorityArea.objects.all())
    objs = []
    for i in range(count):
        upcoming = rng.random() < upcoming_share
        starts = now + timedelta(days=rng.randint(2, 300)) if upcoming else now - timedelta(days=rng.randint(2, 900))
        starts = starts.replace(minute=0, second=0, microsecond=0)
        topic = rng.choice(TOPICS)
        fmt = rng.choice([Event.Format.IN_PERSON] * 3 + [Event.Format.ONLINE, Event.Format.HYBRID])
        objs.append(
            Event(
                hub=rng.choice(hubs_) if rng.random() < 0.9 else None,
                title=f"Networking on {topic} #{i + 1}",
                slug=f"bench-{tag}-{i + 1}",
                summary=f"Meet people working on {topic}.",
                description=LOREM * 4,
                format=fmt,
                venue_name="City Conference Centre",
                address="1 High Street",
                online_url="https://meet.example.org/x" if fmt != Event.Format.IN_PERSON else "",
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                capacity=rng.choice([30, 50, 80, 120, 200]),
                waiting_list_enabled=True,
                status=Event.Status.PUBLISHED,
                published_at=starts - timedelta(days=40),
                calendar_uid=uuid.uuid4(),
            )
        )
    created = Event.objects.bulk_create(objs, batch_size=2000)
    through = Event.priority_areas.through
    through.objects.bulk_create(
        [
            through(event_id=e.pk, priorityarea_id=a.pk)
            for e in created
            for a in rng.sample(areas, k=min(2, len(areas)))
        ],
        batch_size=5000,
    )
    return [(e.pk, e.capacity, e.starts_at > now) for e in created]


def bookings(*, events_: list, user_ids: list[int], total: int, rng: random.Random) -> None:
    """About `total` bookings spread over the events; never more confirmed than capacity."""
    now = timezone.now()
    per_event = max(1, total // max(1, len(events_)))
    rows = []
    for event_id, capacity, _upcoming in events_:
        n = min(len(user_ids), max(1, int(per_event * rng.uniform(0.5, 1.5))))
        for k, uid in enumerate(rng.sample(user_ids, n)):
            status = Booking.Status.CONFIRMED if k < capacity else Booking.Status.WAITLISTED
            cancelled = rng.random() < 0.05
            rows.append(
                (
                    event_id,
                    uid,
                    Booking.Status.CANCELLED if cancelled else status,
                    rng.choice(SECTORS),
                    "",
                    "",
                    rng.random() < 0.5,
                    now - timedelta(days=rng.randint(1, 60)),
                    now if cancelled else None,
                )
            )
    copy_rows(
        Booking,
        [*BOOKING_COLUMNS, "cancelled_at"],
        rows,
    )


def award_call(*, slug: str, name: str, opens_at: datetime, closes_at: datetime, offsets=(14, 7, 1)) -> AwardCall:
    call = AwardCall.objects.create(
        name=name,
        slug=slug,
        summary="Up to £100,000 to spend 3 to 12 months in a different sector.",
        guidance=LOREM * 6,
        opens_at=opens_at,
        closes_at=closes_at,
        reminder_offsets=list(offsets),
    )
    call.priority_areas.set(PriorityArea.objects.all()[:2])
    return call


def applications(
    *,
    call: AwardCall,
    applicant_ids: list[int],
    status: str,
    rng: random.Random,
    complete: bool = True,
    reference_from: int = 0,
) -> list[int]:
    """Applications to `call`, one per applicant, with a partner, two cost lines and (if complete) documents."""
    now = timezone.now()
    closes = timezone.localtime(call.closes_at).date()
    submitted = status != Application.Status.DRAFT
    year = closes.year
    fields = [
        "call",
        "applicant",
        "status",
        "reference",
        "organisation",
        "organisation_sector",
        "role",
        "discipline",
        "career_stage",
        "region",
        "title",
        "summary",
        "aims",
        "why_now",
        "benefits",
        "lasting_links",
        "start_date",
        "duration_months",
        "fte_percent",
        "declare_accurate",
        "declare_employer_agrees",
        "declare_data_use",
        "created_at",
        "updated_at",
        "submitted_at",
    ]
    rows = []
    for n, uid in enumerate(applicant_ids):
        topic = rng.choice(TOPICS)
        rows.append(
            (
                call.pk,
                uid,
                status,
                f"CSEA-{year}-{reference_from + n + 1:05d}" if submitted else "",
                rng.choice(ORGS),
                Sector.NHS,
                rng.choice(JOBS),
                "Clinical genomics",
                "mid",
                rng.choice(REGIONS),
                f"A placement in {topic}",
                LOREM,
                LOREM,
                LOREM,
                LOREM,
                LOREM,
                closes + timedelta(days=60),
                6,
                50,
                submitted,
                submitted,
                submitted,
                now,
                now,
                call.closes_at - timedelta(days=rng.randint(1, 20)) if submitted else None,
            )
        )
    copy_rows(Application, fields, rows)
    ids = list(Application.objects.filter(call=call, applicant_id__in=applicant_ids).values_list("id", flat=True))
    if not complete:
        return ids
    copy_rows(
        PartnerOrganisation,
        ["application", "name", "sector", "country", "contact_name", "contact_email", "is_health_related"],
        (
            (
                i,
                rng.choice(ORGS),
                Sector.INDUSTRY_SME,
                "United Kingdom",
                "Host contact",
                "host@partner.example.org",
                True,
            )
            for i in ids
        ),
    )
    copy_rows(
        CostLine,
        ["application", "category", "amount", "justification"],
        (
            (i, cat, Decimal(amount), "Needed for the placement.")
            for i in ids
            for cat, amount in (("backfill", "30000.00"), ("travel", "2500.00"))
        ),
    )
    copy_rows(
        Document,
        ["application", "kind", "file", "original_name", "size", "uploaded_at", "uploaded_by_signatory"],
        (
            (i, kind, f"awards/documents/bench-{uuid.uuid4().hex}.pdf", f"{kind}.pdf", 2048, now, False)
            for i in ids
            for kind in ("cv", "partner_letter", "employer_statement")
        ),
    )
    through = Application.priority_areas.through
    area = PriorityArea.objects.order_by("id").first()
    copy_rows(through, ["application", "priorityarea"], ((i, area.pk) for i in ids))
    return ids


def sessions(user_ids: list[int], *, extra: dict | None = None) -> dict[int, str]:
    """A signed-in session for each person, written straight to the session table (no password hashing in the
    timed part). Returns {user id: session key}."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    keys = {}
    objs = []
    users = User.objects.in_bulk(user_ids)
    for uid in user_ids:
        key = get_random_string(40, SESSION_KEY_CHARS)
        data = {
            SESSION_KEY: str(uid),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: users[uid].get_session_auth_hash(),
            **(extra or {}),
        }
        objs.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        keys[uid] = key
    Session.objects.bulk_create(objs, batch_size=2000)
    return keys


def mfa_session(user: User) -> str:
    """A staff session that has passed the admin's two-factor step, written as tests/conftest.py::login_with_mfa
    writes it (allauth's authentication records plus a TOTP authenticator)."""
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
    now = time.time()
    extra = {
        AUTHENTICATION_METHODS_SESSION_KEY: [
            {"method": "password", "at": now, "email": user.email},
            {"method": "mfa", "at": now, "id": authenticator.pk, "type": "totp"},
        ],
        _AUTHENTICATION_METHODS_USER_SESSION_KEY: str(user.pk),
    }
    return sessions([user.pk], extra=extra)[user.pk]


def world(*, scale: float, seed: int = 7) -> dict:
    """The browsing data set: hubs, events, bookings, calls and applications, people. Returns handles."""
    rng = random.Random(seed)
    now = timezone.now()
    n_people = scaled(20_000, scale, 200)
    people_ids = people(prefix="person", count=n_people, rng=rng)
    hubs_ = hubs(count=scaled(50, scale, 5), rng=rng)
    evs = events(count=scaled(2_000, scale, 20), hubs_=hubs_, rng=rng)
    bookings(events_=evs, user_ids=people_ids, total=scaled(100_000, scale, 500), rng=rng)
    n_apps = scaled(10_000, scale, 100)
    calls = [
        award_call(
            slug="bench-round-2024",
            name="Cross-Sector Experience Awards 2024",
            opens_at=now - timedelta(days=700),
            closes_at=now - timedelta(days=600),
        ),
        award_call(
            slug="bench-round-2025",
            name="Cross-Sector Experience Awards 2025",
            opens_at=now - timedelta(days=330),
            closes_at=now - timedelta(days=250),
        ),
        award_call(
            slug="bench-round-open",
            name="Cross-Sector Experience Awards (open round)",
            opens_at=now - timedelta(days=30),
            closes_at=now + timedelta(days=40),
        ),
    ]
    applications(call=calls[0], applicant_ids=people_ids[: n_apps * 4 // 10], status="submitted", rng=rng)
    applications(
        call=calls[1], applicant_ids=people_ids[: n_apps * 4 // 10], status="submitted", rng=rng, reference_from=n_apps
    )
    applications(
        call=calls[2],
        applicant_ids=people_ids[: n_apps - 2 * (n_apps * 4 // 10)],
        status="draft",
        rng=rng,
        complete=False,
    )
    # The signed-in browser: a person with bookings and applications, listed in the directory.
    browser = User.objects.get(pk=people_ids[0])
    Profile.objects.filter(user=browser).update(directory_listed=True)
    staff = User.objects.get(pk=people(prefix="staff", count=1, rng=rng, staff=True)[0])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load (see scenarios.analyse)
    upcoming = [e for e in evs if e[2]]
    hub_with_events = Event.objects.filter(pk=upcoming[0][0]).values_list("hub__slug", flat=True).first()
    return {
        "people": people_ids,
        "browser": browser.pk,
        "staff": staff.pk,
        "event_slug": Event.objects.get(pk=upcoming[0][0]).slug,
        "hub_slug": hub_with_events or hubs_[0].slug,
        "call_slug": calls[2].slug,
    }


def rush_event(*, tag: str, capacity: int, hub: Hub | None = None) -> Event:
    now = timezone.now()
    starts = (now + timedelta(days=20)).replace(minute=0, second=0, microsecond=0)
    return Event.objects.create(
        hub=hub,
        title=f"Popular hub event {tag}",
        slug=f"bench-rush-{tag}",
        summary="Everyone wants a place.",
        description=LOREM,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        capacity=capacity,
        waiting_list_enabled=True,
        status=Event.Status.PUBLISHED,
        published_at=now,
    )
