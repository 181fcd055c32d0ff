"""The scheme's rules, each in one place: word limits, sections, completeness, deadlines, who may see what.

Forms call these when an applicant saves (format), `application_problems` lists what is missing when
they check their answers or submit (completeness). Who may see an application is `awards.access`.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from crossector.core import words
from crossector.core.dates import format_datetime
from crossector.core.labels import in_sentence
from crossector.core.money import format_pounds
from crossector.core.words import word_count  # noqa: F401 - rules.word_count, as before

from .models import SIGNED_KINDS, Application, DocumentKind

UK = ZoneInfo("Europe/London")

# Every long answer has a word limit (crossector.core.words): the proposal's here, one cost line's below.
WORD_LIMITS = {"summary": 250, "aims": 500, "why_now": 500, "benefits": 500, "lasting_links": 300}
JUSTIFICATION_WORD_LIMIT = 150


@dataclass(frozen=True)
class Section:
    slug: str
    title: str


SECTIONS = (
    Section("you", "You and your employing organisation"),
    Section("partners", "Partner organisation(s)"),
    Section("proposal", "Your proposal"),
    Section("costs", "Timing and costs"),
    Section("documents", "Documents"),
    Section("check", "Check your answers and declarations"),
)
SECTION_BY_SLUG = {s.slug: s for s in SECTIONS}


@dataclass(frozen=True)
class Problem:
    section: str
    field: str  # the id of the input to link to, on the section's page
    message: str


def format_uk(moment: datetime) -> str:
    """ "29 February 2024, 4:00pm GMT": how every deadline is shown (crossector.core.dates, with the zone)."""
    return format_datetime(moment, zone=True)


def is_late(*, deadline: datetime, now: datetime) -> bool:
    """A request at the deadline second or later is late. Both are aware datetimes, so GMT/BST cannot confuse it."""
    return now >= deadline


def partner_sector_problem(*, employer_sector: str, partner_sector: str) -> str | None:
    if employer_sector and partner_sector and employer_sector == partner_sector:
        return "The partner organisation must be in a different sector from your employing organisation."
    return None


def costs_total(amounts) -> Decimal:
    return sum((a for a in amounts if a is not None), Decimal("0"))


def costs_problem(*, total: Decimal, maximum: Decimal) -> str | None:
    if total > maximum:
        return f"The total, {format_pounds(total)}, is more than this call's maximum of {format_pounds(maximum)}."
    return None


def duration_problem(*, months: int | None, call) -> str | None:
    if months is not None and not call.min_duration_months <= months <= call.max_duration_months:
        return f"The placement must last between {call.min_duration_months} and {call.max_duration_months} months."
    return None


def start_date_problem(*, start, call) -> str | None:
    closes_on = timezone.localtime(call.closes_at, UK).date()
    if start is not None and start <= closes_on:
        return f"The placement must start after the call closes on {closes_on.day} {closes_on:%B %Y}."
    return None


def start_date_example(*, call) -> date:
    """An example start date for the hint that `start_date_problem` accepts: the 27th (a day above 12, so it
    shows which box is the day) of the second month after the call closes."""
    closes_on = timezone.localtime(call.closes_at, UK).date()
    month = closes_on.month + 2
    return date(closes_on.year + (month - 1) // 12, (month - 1) % 12 + 1, 27)


def word_limit_problem(*, field: str, text: str) -> str | None:
    limit = WORD_LIMITS.get(field)
    return words.word_limit_problem(text=text, limit=limit) if limit else None


def application_problems(application: Application) -> list[Problem]:
    """Everything that stops this application being submitted, in the order of the form.

    Reads prefetched `partners`, `cost_lines`, `documents` and `priority_areas` when they are there.
    """
    a = application
    call = a.call
    problems: list[Problem] = []

    def need(section, field, value, label):
        if value in (None, "", [], ()):
            problems.append(Problem(section, f"id_{field}", f"Enter {label}"))

    need("you", "organisation", a.organisation, "your employing organisation")
    need("you", "organisation_sector", a.organisation_sector, "your employing organisation's sector")
    need("you", "role", a.role, "your role")
    need("you", "discipline", a.discipline, "your discipline")
    need("you", "career_stage", a.career_stage, "your career stage")
    need("you", "region", a.region, "your UK nation or region")

    partners = list(a.partners.all())
    if not partners:
        problems.append(Problem("partners", "id_partners-0-name", "Add at least one partner organisation"))
    for i, p in enumerate(partners):
        label = p.name or f"partner {i + 1}"
        for field, text in (
            ("name", "its name"),
            ("sector", "its sector"),
            ("country", "its country"),
            ("contact_name", "a contact person"),
        ):
            if not getattr(p, field):
                problems.append(Problem("partners", f"id_partners-{i}-{field}", f"Enter {text} for {label}"))
        if p.is_health_related is None:
            problems.append(
                Problem("partners", f"id_partners-{i}-is_health_related_0", f"Say whether {label} is health-related")
            )
        if msg := partner_sector_problem(employer_sector=a.organisation_sector, partner_sector=p.sector):
            problems.append(Problem("partners", f"id_partners-{i}-sector", f"{label}: {msg}"))

    need("proposal", "title", a.title, "a title")
    need("proposal", "summary", a.summary, "a summary")
    need("proposal", "aims", a.aims, "your aims")
    need("proposal", "why_now", a.why_now, "why this is the right time and the right sector")
    need("proposal", "benefits", a.benefits, "the benefits to you, your employer and the partner")
    need("proposal", "lasting_links", a.lasting_links, "how the links will last")
    for field in WORD_LIMITS:
        if msg := word_limit_problem(field=field, text=getattr(a, field)):
            problems.append(Problem("proposal", f"id_{field}", msg))
    if not list(a.priority_areas.all()):
        problems.append(Problem("proposal", "id_priority_areas_0", "Choose at least one priority area"))

    need("costs", "start_date_0", a.start_date, "a start date")
    need("costs", "duration_months", a.duration_months, "the duration in months")
    need("costs", "fte_percent", a.fte_percent, "the time you will spend on the placement")
    if msg := start_date_problem(start=a.start_date, call=call):
        problems.append(Problem("costs", "id_start_date_0", msg))
    if msg := duration_problem(months=a.duration_months, call=call):
        problems.append(Problem("costs", "id_duration_months", msg))
    lines = list(a.cost_lines.all())
    if not lines:
        problems.append(Problem("costs", "id_costs-0-category", "Add at least one cost"))
    for i, line in enumerate(lines):
        if not line.category or line.amount is None or not line.justification.strip():
            problems.append(
                Problem("costs", f"id_costs-{i}-category", f"Cost {i + 1}: give its category, amount and justification")
            )
    if msg := costs_problem(total=costs_total(line.amount for line in lines), maximum=call.max_award):
        problems.append(Problem("costs", "id_costs-0-amount", msg))

    kinds = {d.kind for d in a.documents.all()}
    for kind in DocumentKind:
        if kind not in kinds:
            extra = " (or ask the signatory to upload it)" if kind in SIGNED_KINDS else ""
            problems.append(Problem("documents", f"id_{kind.value}", f"Upload the {in_sentence(kind.label)}{extra}"))

    if not (a.declare_accurate and a.declare_employer_agrees and a.declare_data_use):
        problems.append(Problem("check", "id_declare_accurate", "Confirm all three declarations"))
    return problems


def section_status(problems: list[Problem], application: Application) -> dict[str, str]:
    """ "complete", "in progress" or "not started" for each section, for the task list."""
    broken = {p.section for p in problems}
    started = {
        "you": bool(application.organisation or application.role),
        "partners": bool(application.partners.all()),
        "proposal": bool(application.title or application.summary),
        "costs": bool(application.start_date or application.cost_lines.all()),
        "documents": bool(application.documents.all()),
        "check": application.declare_accurate or application.declare_employer_agrees,
    }
    return {
        s.slug: "complete" if s.slug not in broken else ("in progress" if started[s.slug] else "not started")
        for s in SECTIONS
    }


def application_can_edit(user, application: Application, *, now: datetime | None = None) -> tuple[bool, str]:
    if application.applicant_id != user.pk:
        return False, "Only the applicant can change this application."
    if application.status == Application.Status.WITHDRAWN:
        return False, "This application was withdrawn and can no longer be changed."
    if not application.is_draft:
        # Not the internal status: an applicant is not told of eligibility checks or shortlists this way.
        return False, "This application has been submitted and can no longer be changed."
    return True, ""


def application_can_withdraw(user, application: Application) -> tuple[bool, str]:
    """The applicant's own withdrawal: whatever the workflow's table allows them (until a decision)."""
    from .workflow import transition_check

    if application.applicant_id != user.pk:
        return False, "Only the applicant can withdraw this application."
    return transition_check(application=application, to_status=Application.Status.WITHDRAWN, actor=user)
