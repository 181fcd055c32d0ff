"""Demo review round for `seed_demo`: reviewers, a dozen submitted applications to the closed 2025 call in
every status, assignments, submitted reviews and one declared conflict.

Idempotent: each application is found by (call, applicant) and, once it exists, nothing about it is made
again. Everything goes through the same services staff and reviewers use (assign, review, conflict,
`workflow.application_transition`), so the history, scores and emails look exactly as they would for real.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from crossector.core.demo import person_ensure
from crossector.core.models import PriorityArea
from crossector.core.vocabulary import Region, Sector

from .. import workflow
from ..models import Application, ApplicationEvent, AwardCall, CostLine, PartnerOrganisation
from ..services import _next_reference
from . import services
from .permissions import REVIEWERS_GROUP, reviewers_group_ensure

S, St = Sector, Application.Status

MORE_REVIEWERS = [
    {
        "email": "reviewer2@example.org",
        "full_name": "Dr Rhys Morgan",
        "organisation": "Life Sciences Hub Wales",
        "job_title": "Head of innovation",
        "sector": S.OTHER,
        "region": Region.WALES,
    },
    {
        "email": "reviewer3@example.org",
        "full_name": "Professor Helen Okafor",
        "organisation": "Northumbria Healthcare NHS Foundation Trust",
        "job_title": "Director of research",
        "sector": S.NHS,
        "region": Region.NORTH_EAST,
    },
]

# (name, email, employer, sector, region, title, partners [(name, sector, country)], areas, status, scores by reviewer)
APPLICANTS = [
    (
        "Dr Sara Lindqvist",
        "sara.lindqvist",
        "Northumbria Healthcare NHS Trust",
        S.NHS,
        Region.NORTH_EAST,
        "Learning regulatory science at the MHRA",
        [("Medicines and Healthcare products Regulatory Agency", S.REGULATOR, "United Kingdom")],
        ["drug-development"],
        St.SUBMITTED,
    ),
    (
        "Kwame Asante",
        "kwame.asante",
        "Genomics Start-up Ltd",
        S.INDUSTRY_SME,
        Region.LONDON,
        "Bringing variant interpretation tools into an NHS genomic laboratory",
        [("Great Ormond Street Hospital", S.NHS, "United Kingdom")],
        ["genomics"],
        St.SUBMITTED,
    ),
    (
        "Dr Fiona MacLeod",
        "fiona.macleod",
        "University of Aberdeen",
        S.ACADEMIA,
        Region.SCOTLAND,
        "Cell therapy manufacturing with an industry partner",
        [("Cellular Manufacturing plc", S.INDUSTRY_LARGE, "United Kingdom")],
        ["cell-gene-therapy"],
        St.ELIGIBLE,
    ),
    (
        "Tom Bradley",
        "tom.bradley",
        "Bradley Health Analytics",
        S.INDUSTRY_SME,
        Region.YORKSHIRE,
        "Six months with a patient charity",
        [("Bradley Health Analytics", S.INDUSTRY_SME, "United Kingdom")],
        ["medical-imaging"],
        St.INELIGIBLE,
    ),
    (
        "Dr Anjali Mehta",
        "anjali.mehta",
        "Manchester University NHS Foundation Trust",
        S.NHS,
        Region.NORTH_WEST,
        "AI triage of chest X-rays with an imaging company",
        [("Helix Imaging Ltd", S.INDUSTRY_SME, "United Kingdom")],
        ["medical-imaging"],
        St.UNDER_REVIEW,
    ),
    (
        "Gareth Hughes",
        "gareth.hughes",
        "Welsh Government",
        S.GOVERNMENT,
        Region.WALES,
        "Policy meets practice: a placement in a digital pathology lab",
        [("Cardiff University", S.ACADEMIA, "United Kingdom"), ("Life Sciences Hub Wales", S.OTHER, "United Kingdom")],
        ["pathology"],
        St.UNDER_REVIEW,
    ),
    (
        "Dr Lucy Chen",
        "lucy.chen",
        "University of Edinburgh",
        S.ACADEMIA,
        Region.SCOTLAND,
        "Drug discovery data pipelines in a large pharma company",
        [("Novum Pharma UK Limited", S.INDUSTRY_LARGE, "United Kingdom")],
        ["drug-development"],
        St.UNDER_REVIEW,
    ),
    (
        "Marcus Reid",
        "marcus.reid",
        "Patients Together",
        S.CHARITY,
        Region.LONDON,
        "Patient voice in genomic medicine service design",
        [("North Thames Genomic Laboratory Hub", S.NHS, "United Kingdom")],
        ["genomics"],
        St.SHORTLISTED,
    ),
    (
        "Dr Eilidh Fraser",
        "eilidh.fraser",
        "NHS Greater Glasgow and Clyde",
        S.NHS,
        Region.SCOTLAND,
        "Digital pathology validation with a Danish software company",
        [("PathoSoft ApS", S.INDUSTRY_SME, "Denmark")],
        ["pathology"],
        St.SHORTLISTED,
    ),
    (
        "Dr Omar Haddad",
        "omar.haddad",
        "Novum Pharma UK Limited",
        S.INDUSTRY_LARGE,
        Region.EAST,
        "Gene therapy trials from the NHS side",
        [("Oxford University Hospitals NHS Foundation Trust", S.NHS, "United Kingdom")],
        ["cell-gene-therapy"],
        St.AWARDED,
    ),
    (
        "Bethan Williams",
        "bethan.williams",
        "Swansea Bay University Health Board",
        S.NHS,
        Region.WALES,
        "Imaging AI evaluation in a start-up",
        [("Vision Diagnostics Ltd", S.INDUSTRY_SME, "United Kingdom")],
        ["medical-imaging"],
        St.AWARDED,
    ),
    (
        "Dr Peter Novak",
        "peter.novak",
        "Medicines and Healthcare products Regulatory Agency",
        S.REGULATOR,
        Region.LONDON,
        "Seeing AI medical devices from the developer's side",
        [("Helix Imaging Ltd", S.INDUSTRY_SME, "United Kingdom")],
        ["medical-imaging"],
        St.NOT_AWARDED,
    ),
]

# The moves from "submitted" to each status, through the workflow's table.
PATHS = {
    St.SUBMITTED: [],
    St.ELIGIBLE: [St.ELIGIBLE],
    St.INELIGIBLE: [St.INELIGIBLE],
    St.UNDER_REVIEW: [St.ELIGIBLE, St.UNDER_REVIEW],
    St.SHORTLISTED: [St.ELIGIBLE, St.UNDER_REVIEW, St.SHORTLISTED],
    St.AWARDED: [St.ELIGIBLE, St.UNDER_REVIEW, St.SHORTLISTED, St.AWARDED],
    St.NOT_AWARDED: [St.ELIGIBLE, St.UNDER_REVIEW, St.NOT_AWARDED],
}
REVIEWED = (St.UNDER_REVIEW, St.SHORTLISTED, St.AWARDED, St.NOT_AWARDED)
RECOMMENDATION = {5: "fund", 4: "fund", 3: "fund_if_changed", 2: "do_not_fund", 1: "do_not_fund"}


def reviewers_ensure(users) -> list:
    """The demo reviewer plus two more: staff accounts (so the admin opens, after two-factor set-up) in the
    Reviewers group."""
    group = reviewers_group_ensure()
    team = [users["reviewer"], *(person_ensure(groups=(REVIEWERS_GROUP,), **fields) for fields in MORE_REVIEWERS)]
    get_user_model().objects.filter(pk__in=[u.pk for u in team]).update(is_staff=True)
    for user in team:
        user.groups.add(group)
        user.refresh_from_db(fields=["is_staff"])
    return team


def _application(call, applicant, row, index) -> Application:
    name, _email, employer, sector, region, title, partners, areas, _status = row
    app = Application.objects.create(
        call=call,
        applicant=applicant,
        organisation=employer,
        organisation_sector=sector,
        role="Clinical scientist" if sector == S.NHS else "Senior scientist",
        discipline="Health data science",
        career_stage=["early", "mid", "senior"][index % 3],
        region=region,
        title=title,
        summary=f"{name.split()[-1]}'s placement: {title.lower()}.",
        aims="Learn how the partner works, run a joint project, and bring the practice back.",
        why_now="Both organisations are changing how they use data this year.",
        benefits="New skills for me, a tested method for my employer, a clinical view for the partner.",
        lasting_links="A joint steering group and shared supervision after the placement.",
        start_date=date(2025, 9, 1),
        duration_months=6 + index % 7,
        fte_percent=100 if index % 2 else 60,
        declare_accurate=True,
        declare_employer_agrees=True,
        declare_data_use=True,
    )
    app.priority_areas.set(PriorityArea.objects.filter(slug__in=areas))
    for partner_name, partner_sector, country in partners:
        PartnerOrganisation.objects.create(
            application=app,
            name=partner_name,
            sector=partner_sector,
            country=country,
            contact_name="Programme lead",
            is_health_related=partner_sector != S.GOVERNMENT,
        )
    CostLine.objects.create(
        application=app,
        category=CostLine.Category.BACKFILL,
        amount=Decimal(30000 + 2500 * index),
        justification="Backfill of the post for the placement.",
    )
    CostLine.objects.create(
        application=app,
        category=CostLine.Category.TRAVEL,
        amount=Decimal("3200.00"),
        justification="Travel and accommodation near the partner.",
    )
    submitted_at = call.closes_at - timedelta(days=20 - index)
    Application.objects.filter(pk=app.pk).update(
        status=St.SUBMITTED, reference=_next_reference(2025), submitted_at=submitted_at
    )
    ApplicationEvent.objects.create(
        application=app,
        kind=ApplicationEvent.Kind.STATUS,
        actor=applicant,
        from_status=St.DRAFT,
        to_status=St.SUBMITTED,
        created_at=submitted_at,
    )
    app.refresh_from_db()
    return app


@transaction.atomic
def seed(users) -> str:
    call = AwardCall.objects.get(slug="csea-2025")
    for each in AwardCall.objects.all():
        services.criteria_ensure(call=each)
    team = reviewers_ensure(users)
    staff = users["staff"]
    made = 0
    for index, row in enumerate(APPLICANTS):
        name, email, employer, sector, region = row[:5]
        applicant = person_ensure(
            email=f"{email}@example.org",
            full_name=name,
            organisation=employer,
            job_title="Applicant",
            sector=sector,
            region=region,
        )
        if Application.objects.filter(call=call, applicant=applicant).exists():
            continue
        made += 1
        app = _application(call, applicant, row, index)
        status = row[-1]
        if status in REVIEWED or status == St.ELIGIBLE:
            _review(app, team, staff, index, write_reviews=status in REVIEWED)
        for to_status in PATHS[status]:
            workflow.application_transition(application=app, to_status=to_status, actor=staff, note="Demo data")
    return f"{len(team)} reviewers; {made} submitted applications to {call.name} with reviews" if made else ""


def _review(app, team, staff, index, *, write_reviews) -> None:
    """Two reviewers without a likely conflict, the demo reviewer first. On one application the demo reviewer
    declares a conflict instead of scoring; on another their review is left to write."""
    order = [team[0], team[1 + index % 2], team[2 - index % 2]]
    chosen = [r for r in order if not services.conflict_likely(reviewer=r, application=app)][:2]
    for position, reviewer in enumerate(chosen):
        assignment = services.reviewer_assign(application=app, reviewer=reviewer, actor=staff)
        if not write_reviews or (index == 5 and position == 0):
            continue  # left for the demo reviewer to write
        if index == 4 and position == 0:
            services.conflict_declare(
                assignment=assignment, reason="I co-authored a paper with the applicant last year.", actor=reviewer
            )
            continue
        base = 5 - (index + position) % 4
        scores = [max(1, min(5, base + delta)) for delta in (0, -1, 0, 1)]
        criteria = services.criteria_ensure(call=app.call)
        services.review_save(
            assignment=assignment,
            actor=reviewer,
            scores={c.pk: s for c, s in zip(criteria, scores, strict=True)},
            recommendation=RECOMMENDATION[base],
            comments="A clear case for the placement; the partner's commitment is well evidenced.",
            submit=True,
        )
