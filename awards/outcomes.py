"""Outcome emails (ineligible, awarded, not awarded): per-call wording, safe rendering, previews and queueing.

A call's wording is an `OutcomeEmailTemplate` (subject and body, Django template text written by staff);
without one the default body in `templates/emails/awards/outcome_<outcome>.txt` is used. Wording is rendered
in a closed template engine (nothing to load or include, no `{% debug %}`) with a small fixed context of plain
strings, so staff text cannot reach the database or settings, and a mistake is reported as an
OutcomeTemplateError with a readable message, never as a server error.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import TextNode, VariableNode
from django.template.defaulttags import DebugNode
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone

from crossector.core.models import OutboundEmail
from crossector.core.money import format_pounds
from crossector.core.services import email_queue_template

from .models import Application, ApplicationEvent, AwardCall, OutcomeEmailTemplate

# The only names wording may use, with what each holds (shown to staff beside the editor and in docs/review.md).
CONTEXT_VARIABLES = {
    "applicant_name": "The applicant's full name",
    "reference": "The application reference, e.g. CSEA-2025-0007",
    "call_name": "The name of the call",
    "proposal_title": "The proposal title",
    "awarded_amount": "The amount awarded, e.g. £45,000 (empty unless awarded)",
    "portal_url": "The link to the application on the portal",
}

DEFAULT_SUBJECTS = {
    OutcomeEmailTemplate.Outcome.INELIGIBLE: "{{ call_name }}: your application {{ reference }}",
    OutcomeEmailTemplate.Outcome.AWARDED: "{{ call_name }}: your application {{ reference }} has been awarded",
    OutcomeEmailTemplate.Outcome.NOT_AWARDED: "{{ call_name }}: the outcome of your application {{ reference }}",
}

SAMPLE_CONTEXT = {
    "applicant_name": "Alex Example",
    "reference": "CSEA-2025-0001",
    "call_name": "Cross-Sector Experience Awards",
    "proposal_title": "AI for pathology triage",
    "awarded_amount": "£45,000",
    "portal_url": "",  # filled with the site address when used
}

# No loaders and no libraries: {% include %}, {% extends %} and {% load %} find nothing.
_ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, debug=False, autoescape=False)
_SPACES = re.compile(r"\s+")


class OutcomeTemplateError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body: str


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str
    is_default: bool


def default_wording(outcome: str) -> Wording:
    body = get_template(f"emails/awards/outcome_{outcome}.txt").template.source
    return Wording(subject=DEFAULT_SUBJECTS[outcome], body=body.strip() + "\n", is_default=True)


def outcome_wording(*, call: AwardCall, outcome: str, templates: dict | None = None) -> Wording:
    """The call's own wording for this outcome, or the default. `templates` ({(call id, outcome): row}) saves
    a query per application when many are rendered."""
    if templates is not None:
        row = templates.get((call.pk, outcome))
    else:
        row = OutcomeEmailTemplate.objects.filter(call=call, outcome=outcome).first()
    if row is None:
        return default_wording(outcome)
    return Wording(subject=row.subject, body=row.body, is_default=False)


def _compile(source: str, part: str):
    try:
        template = _ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        raise OutcomeTemplateError(f"The {part} has a template error: {exc}") from None
    for node in template.nodelist.get_nodes_by_type(TextNode):
        if "{{" in node.s or "{%" in node.s:  # the lexer leaves an unclosed tag as text; it would reach the applicant
            raise OutcomeTemplateError(f"The {part} has a template error: a {{{{ or {{% is not closed.")
    if template.nodelist.get_nodes_by_type(DebugNode):
        raise OutcomeTemplateError(f"The {part} may not use {{% debug %}}.")
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        var = getattr(node.filter_expression.var, "var", None)  # None for a literal such as {{ "text" }}
        if isinstance(var, str):
            name = var.split(".")[0]
            if name not in CONTEXT_VARIABLES:
                allowed = ", ".join(f"{{{{ {n} }}}}" for n in CONTEXT_VARIABLES)
                raise OutcomeTemplateError(f"The {part} uses {{{{ {var} }}}}, which is not available. Use: {allowed}.")
    return template


def outcome_render(*, subject: str, body: str, context: dict) -> RenderedEmail:
    """Fill in staff wording. Subject whitespace is collapsed to one line (no header injection)."""
    compiled_subject, compiled_body = _compile(subject, "subject"), _compile(body, "body")
    try:
        rendered_subject = compiled_subject.render(Context(context, autoescape=False))
        rendered_body = compiled_body.render(Context(context, autoescape=False))
    except Exception as exc:  # noqa: BLE001 - any error in staff wording becomes a message, not a 500
        raise OutcomeTemplateError(f"The wording cannot be filled in: {exc}") from None
    rendered_subject = _SPACES.sub(" ", rendered_subject).strip()[:250]
    if not rendered_subject:
        raise OutcomeTemplateError("The subject is empty once filled in.")
    if not rendered_body.strip():
        raise OutcomeTemplateError("The body is empty once filled in.")
    return RenderedEmail(subject=rendered_subject, body=rendered_body.strip() + "\n")


def wording_problem(*, subject: str, body: str) -> str | None:
    """What is wrong with this wording, tried against sample values; None when it renders."""
    try:
        outcome_render(subject=subject, body=body, context=sample_context())
    except OutcomeTemplateError as exc:
        return exc.message
    return None


def portal_url(application: Application) -> str:
    return f"{settings.SITE_URL}{reverse('awards:application', kwargs={'pk': application.pk})}"


def outcome_context(application: Application) -> dict[str, str]:
    """The fixed context for one application (expects `call` and `applicant__profile` joined or cheap)."""
    amount = application.awarded_amount
    return {
        "applicant_name": application.applicant.get_full_name(),
        "reference": application.reference,
        "call_name": application.call.name,
        "proposal_title": application.title,
        "awarded_amount": format_pounds(amount),
        "portal_url": portal_url(application),
    }


def sample_context() -> dict[str, str]:
    return {**SAMPLE_CONTEXT, "portal_url": f"{settings.SITE_URL}/awards/applications/"}


def outcome_email_preview(
    *, application: Application, outcome: str, awarded_amount=None, templates: dict | None = None
) -> RenderedEmail:
    """The email this application would get on reaching `outcome` (for awards, with the amount it would get)."""
    context = outcome_context(application)
    if outcome == Application.Status.AWARDED:
        from .workflow import amount_requested

        amount = awarded_amount if awarded_amount is not None else amount_requested(application)
        context["awarded_amount"] = format_pounds(amount)
    wording = outcome_wording(call=application.call, outcome=outcome, templates=templates)
    return outcome_render(subject=wording.subject, body=wording.body, context=context)


def outcome_templates_for(calls) -> dict:
    """{(call id, outcome): OutcomeEmailTemplate} for these calls, in one query."""
    return {(t.call_id, t.outcome): t for t in OutcomeEmailTemplate.objects.filter(call__in=calls)}


def outcome_idempotency_key(application: Application, outcome: str) -> str:
    return f"application-{application.pk}-outcome-{outcome}"


def outcome_email_queue(*, application: Application, actor, now: datetime | None = None) -> OutboundEmail | None:
    """Queue the email for the outcome the application has just reached, once per application and outcome.

    Called by `workflow.application_transition` inside its transaction, so the email leaves only if the move
    commits. Returns None when this outcome's email was already queued (nothing is recorded twice).
    """
    now = now or timezone.now()
    outcome = application.status
    key = outcome_idempotency_key(application, outcome)
    if OutboundEmail.objects.filter(idempotency_key=key).exists():
        return None
    rendered = outcome_email_preview(
        application=application, outcome=outcome, awarded_amount=application.awarded_amount
    )
    email = email_queue_template(
        to=application.applicant.email,
        subject=rendered.subject,
        template="awards/outcome_message",
        context={"body": rendered.body},
        idempotency_key=key,
        user=application.applicant,
    )
    ApplicationEvent.objects.create(
        application=application,
        kind=ApplicationEvent.Kind.OUTCOME_EMAIL,
        actor=actor,
        to_status=outcome,
        data={"email_id": email.pk, "to": email.to, "subject": email.subject},
        created_at=now,
    )
    return email
