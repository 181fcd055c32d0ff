"""Outcome emails: per-call wording or the default, safe rendering, admin checks and previews."""

from decimal import Decimal

import pytest

from awards import outcomes, workflow
from awards.models import Application, OutcomeEmailTemplate
from crossector.core.models import OutboundEmail
from tests.awards.factories import AwardCallFactory
from tests.awards.staff import submitted

pytestmark = pytest.mark.django_db
S = Application.Status
ADMIN = "/admin/awards/outcomeemailtemplate/"


def _named(app, name):
    app.applicant.profile.full_name = name
    app.applicant.profile.save()
    return app


@pytest.mark.parametrize("outcome", [S.INELIGIBLE, S.AWARDED, S.NOT_AWARDED])
def test_default_wording_fills_in_the_fixed_context(outcome, settings):
    settings.SITE_URL = "https://portal.example.org"
    app = _named(submitted(status=S.SHORTLISTED, title="Genomics in primary care"), "Carys Jones")
    email = outcomes.outcome_email_preview(application=app, outcome=outcome)
    assert app.reference in email.subject and app.call.name in email.subject
    assert email.body.startswith("Dear Carys Jones,")
    assert '"Genomics in primary care"' in email.body
    assert f"https://portal.example.org/awards/applications/{app.pk}/" in email.body
    assert ("£45,000" in email.body) == (outcome == S.AWARDED)
    assert "{{" not in email.subject + email.body


def test_a_calls_own_wording_is_what_the_applicant_gets(staff_user):
    call = AwardCallFactory(name="2025 round")
    OutcomeEmailTemplate.objects.create(
        call=call,
        outcome="awarded",
        subject="Congratulations,\n {{ applicant_name }}",
        body="Hello {{ applicant_name }}, {{ reference }} gets {{ awarded_amount }} from the {{ call_name }}.",
    )
    app = _named(submitted(call=call, status=S.SHORTLISTED), "Owain <b>Price</b>")
    workflow.application_transition(
        application=app, to_status=S.AWARDED, actor=staff_user, awarded_amount=Decimal("12000")
    )
    email = OutboundEmail.objects.get(idempotency_key=f"application-{app.pk}-outcome-awarded")
    assert email.subject == "Congratulations, Owain <b>Price</b>"  # one line: no header injection
    assert f"Hello Owain <b>Price</b>, {app.reference} gets £12,000 from the 2025 round." in email.body_text
    assert "Owain &lt;b&gt;Price&lt;/b&gt;" in email.body_html and "<b>Price" not in email.body_html
    assert email.user == app.applicant


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Dear {{ applicant_name ", "template error"),
        ("Dear {% if %}", "template error"),
        ("Dear {{ applicant.password }}", "{{ applicant.password }}, which is not available"),
        ("{% debug %}", "may not use {% debug %}"),
        ("{% load static %}{% static 'x' %}", "template error"),
        ("{% include 'emails/base.txt' %}", "cannot be filled in"),
        ("{{ applicant_name|nosuchfilter }}", "template error"),
        ("   ", "body is empty"),
    ],
)
def test_broken_or_unsafe_wording_is_reported_not_raised(body, message):
    problem = outcomes.wording_problem(subject="Outcome for {{ reference }}", body=body)
    assert problem is not None and message in problem


def test_admin_refuses_broken_wording_with_a_form_error_and_saves_nothing(staff_client):
    call = AwardCallFactory()
    response = staff_client.post(
        f"{ADMIN}add/",
        {"call": call.pk, "outcome": "not_awarded", "subject": "Outcome", "body": "Dear {{ applicant_nme }}"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "{{ applicant_nme }}, which is not available" in page and "errorlist" in page
    assert not OutcomeEmailTemplate.objects.exists()


def test_admin_add_starts_from_the_default_wording_and_lists_the_placeholders(staff_client):
    call = AwardCallFactory()
    page = staff_client.get(f"{ADMIN}add/", {"call": call.pk, "outcome": "ineligible"}).content.decode()
    assert "does not meet them, so it will not go forward to review" in page
    assert "{{ call_name }}: your application {{ reference }}" in page
    for name in outcomes.CONTEXT_VARIABLES:
        assert f"{{{{ {name} }}}}" in page
    assert "the default wording" in staff_client.get(f"/admin/awards/awardcall/{call.pk}/change/").content.decode()


def test_admin_preview_renders_the_calls_wording_for_its_latest_application(staff_client):
    app = _named(submitted(status=S.SHORTLISTED), "Siân Lewis")
    template = OutcomeEmailTemplate.objects.create(
        call=app.call, outcome="not_awarded", subject="{{ call_name }} outcome", body="Sorry {{ applicant_name }}."
    )
    page = staff_client.get(f"{ADMIN}{template.pk}/change/").content.decode()
    assert f"Filled in for {app.reference}" in page
    assert "Sorry Siân Lewis." in page and f"{app.call.name} outcome" in page
    assert (
        "this call&#x27;s own wording"
        in staff_client.get(f"/admin/awards/awardcall/{app.call_id}/change/").content.decode()
    )


def test_preview_of_a_call_without_applications_uses_sample_values(staff_client):
    template = OutcomeEmailTemplate.objects.create(
        call=AwardCallFactory(), outcome="awarded", subject="Award", body="Dear {{ applicant_name }}"
    )
    page = staff_client.get(f"{ADMIN}{template.pk}/change/").content.decode()
    assert "Filled in with sample values" in page and "Dear Alex Example" in page


def test_a_confirm_page_shows_the_wording_error_instead_of_a_button(staff_client):
    app = submitted(status=S.UNDER_REVIEW)
    OutcomeEmailTemplate.objects.create(
        call=app.call, outcome="not_awarded", subject="Outcome", body="{% include 'nothing.txt' %}"
    )
    response = staff_client.post(f"/admin/awards/application/{app.pk}/transition/", {"to_status": "not_awarded"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "The email cannot be written" in page and 'name="confirm"' not in page
    bulk = staff_client.post(
        "/admin/awards/application/", {"action": "move_to_not_awarded", "_selected_action": [app.pk]}
    ).content.decode()
    assert "The email cannot be written" in bulk and 'name="confirm"' not in bulk
    app.refresh_from_db()
    assert app.status == S.UNDER_REVIEW and not OutboundEmail.objects.exists()
