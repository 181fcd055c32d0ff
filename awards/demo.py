"""Demo award calls for `seed_demo`: the 2024 and 2025 rounds and an open round, with the demo
applicant's draft half done, and the 2025 round's review (awards/review/demo.py).
Idempotent: every row is found by a natural key before it is made."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from crossector.core.models import PriorityArea
from crossector.core.vocabulary import Sector

from .models import Application, AwardCall, PartnerOrganisation

UK = ZoneInfo("Europe/London")

GUIDANCE = (
    "You can apply at any career stage and from any discipline, as long as your work has a clear link to "
    "improving human health. You do not need to be a researcher.\n\n"
    "Your employing organisation is where you work now; it must agree to release you for the placement and "
    "take you back afterwards. Your partner organisation is where you will spend the placement, and it must be "
    "in a different sector. It need not be health-related or research-focused, and it may be outside the UK.\n\n"
    "Tell us why now is the right time for you, and how the placement will help your work when you return."
)

FAQS = [
    (
        "Can I have more than one partner organisation?",
        "Yes. Add each one; every partner must be in a different sector from your employer.",
    ),
    (
        "Can the placement be part-time?",
        "Yes. Give the percentage of full time you will spend with the partner; the placement lasts 3 to 12 months.",
    ),
    (
        "What if my post cannot be backfilled?",
        "You can ask for your own salary instead. PhD students can ask for a stipend where their funder allows the "
        "PhD to pause.",
    ),
    (
        "Can my letters be uploaded by the people who sign them?",
        "Yes. On the documents page, ask the signatory: we email them a private link that works once.",
    ),
]


def _uk(year, month, day, hour=16) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=UK)


def _call(slug, **fields) -> AwardCall:
    call, created = AwardCall.objects.get_or_create(slug=slug, defaults=fields)
    if created:
        call.priority_areas.set(PriorityArea.objects.all())
        for order, (question, answer) in enumerate(FAQS):
            call.faqs.create(question=question, answer=answer, order=order)
    return call


def seed(users) -> str:
    _call(
        "csea-2024",
        name="Cross-Sector Experience Awards 2024",
        summary="Up to £100,000 to spend 3 to 12 months in an organisation of another sector.",
        guidance=GUIDANCE,
        opens_at=_uk(2023, 11, 1, 9),
        closes_at=_uk(2024, 2, 29),
    )
    _call(
        "csea-2025",
        name="Cross-Sector Experience Awards 2025",
        summary="Up to £100,000 to spend 3 to 12 months in an organisation of another sector.",
        guidance=GUIDANCE,
        opens_at=_uk(2024, 11, 1, 9),
        closes_at=_uk(2025, 2, 27),
    )
    # The open round closes six weeks after the first seed, at 4pm UK time.
    closes_on = timezone.localdate() + timedelta(weeks=6)
    opens_on = timezone.localdate() - timedelta(weeks=4)
    open_call = _call(
        f"csea-{closes_on.year}",
        name=f"Cross-Sector Experience Awards {closes_on.year}",
        summary="Up to £100,000 to spend 3 to 12 months in an organisation of another sector.",
        guidance=GUIDANCE,
        opens_at=datetime.combine(opens_on, time(9), tzinfo=UK),
        closes_at=datetime.combine(closes_on, time(16), tzinfo=UK),
    )

    applicant = users["applicant"]
    profile = applicant.profile
    draft, created = Application.objects.get_or_create(
        call=open_call,
        applicant=applicant,
        defaults={
            "organisation": profile.organisation,
            "organisation_sector": profile.sector,
            "role": profile.job_title,
            "discipline": "Clinical genomics",
            "career_stage": "mid",
            "region": profile.region,
            "title": "Bringing AI pathology triage from industry into NHS Wales",
            "summary": "I will spend six months with an imaging start-up learning how they validate AI models, "
            "then bring that practice back to our genomics and pathology service.",
            "aims": "Learn model validation and deployment; co-design an evaluation for our laboratory.",
        },
    )
    if created:
        draft.priority_areas.set(PriorityArea.objects.filter(slug__in=["genomics", "pathology"]))
        PartnerOrganisation.objects.create(
            application=draft,
            name="Helix Imaging Ltd",
            sector=Sector.INDUSTRY_SME,
            country="United Kingdom",
            contact_name="Tom Ellison",
            contact_email=users["attendee"].email,
            is_health_related=True,
        )
    from .review import demo as review_demo

    summary = f"3 award calls ({open_call.name} open until {open_call.closes_at:%d %B %Y}); a half-done draft"
    reviews = review_demo.seed(users)
    return f"{summary}; {reviews}" if reviews else summary
