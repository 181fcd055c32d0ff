"""Issue 14, staff side: the award preview refuses an amount the call cannot pay; destructive moves look
different and ask again; a reviewer is assigned from the application page."""

import re
from decimal import Decimal

import pytest

from awards.models import Application, ApplicationEvent
from awards.review.models import ReviewerAssignment
from crossector.core.models import OutboundEmail
from tests.awards.factories import AwardCallFactory
from tests.awards.review_factories import reviewer
from tests.awards.staff import staff_without_change, submitted
from tests.conftest import login_with_mfa
from tests.factories import person

pytestmark = pytest.mark.django_db
S = Application.Status
LIST = "/admin/awards/application/"


def transition_url(app):
    return f"{LIST}{app.pk}/transition/"


def change_url(app):
    return f"{LIST}{app.pk}/change/"


def assign_url(app):
    return f"{LIST}{app.pk}/assign-reviewer/"


# --- The award preview refuses what the call cannot pay -----------------------------------------------------


@pytest.mark.parametrize(
    ("call_max", "requested", "typed", "shown"),
    [
        ("100000.00", "120000.00", "", "£120,000"),  # the amount requested, above the scheme's maximum
        ("100000.00", "45000.00", "120000", None),  # typed above the scheme's maximum: the form refuses it
        ("50000.00", "45000.00", "80,000", "£80,000"),  # typed above this call's lower maximum
        ("50000.00", "50000.01", "", "£50,000.01"),  # a penny over
    ],
)
def test_award_preview_refuses_an_amount_above_the_call_maximum(staff_client, call_max, requested, typed, shown):
    call = AwardCallFactory(max_award=Decimal(call_max))
    app = submitted(call=call, status=S.SHORTLISTED, amount=requested)
    post = {"to_status": "awarded", "awarded_amount": typed}

    for extra in ({}, {"preview": "1"}, {"confirm": "1"}):
        response = staff_client.post(transition_url(app), {**post, **extra})
        page = response.content.decode()
        assert response.status_code == 400
        assert "Dear " not in page and "The email to" not in page  # no email offering it is rendered
        assert 'name="confirm"' not in page  # nothing to confirm
        if shown:
            maximum = f"£{Decimal(call_max):,.0f}"
            assert f"The amount awarded ({shown}) must be between £0 and the call&#x27;s maximum of {maximum}" in page
    app.refresh_from_db()
    assert app.status == S.SHORTLISTED and app.awarded_amount is None
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(("requested", "typed"), [("100000.00", ""), ("120000.00", "100000"), ("45000.00", "0")])
def test_award_preview_at_or_under_the_maximum_shows_the_email(staff_client, requested, typed):
    app = submitted(status=S.SHORTLISTED, amount=requested)
    response = staff_client.post(transition_url(app), {"to_status": "awarded", "awarded_amount": typed})
    page = response.content.decode()
    assert response.status_code == 200
    assert "The email to" in page and 'name="confirm"' in page
    assert "must be between" not in page


def test_bulk_award_refuses_an_application_requesting_above_the_call_maximum(staff_client):
    over = submitted(status=S.SHORTLISTED, amount="120000.00")
    fine = submitted(status=S.SHORTLISTED, amount="45000.00")
    post = {"action": "move_to_awarded", "_selected_action": [over.pk, fine.pk]}
    page = staff_client.post(LIST, post).content.decode()
    refused = page[page.index(over.reference) :]
    assert "The amount awarded (£120,000) must be between £0" in refused
    staff_client.post(LIST, {**post, "confirm": "1"})
    over.refresh_from_db()
    fine.refresh_from_db()
    assert (over.status, fine.status) == (S.SHORTLISTED, S.AWARDED)
    assert list(OutboundEmail.objects.values_list("to", flat=True)) == [fine.applicant.email]


# --- Destructive moves look different and ask again ---------------------------------------------------------

DESTRUCTIVE = {"withdrawn": "Withdraw", "ineligible": "Mark ineligible", "not_awarded": "Not awarded"}


def buttons(page: str) -> dict[str, str]:
    """{status moved to: the button's classes} for every move button on the application page."""
    found = re.findall(r'<button type="submit" name="to_status" value="([a-z_]+)" class="([^"]+)"', page)
    return dict(found)


@pytest.mark.parametrize("status", [S.SUBMITTED, S.ELIGIBLE, S.UNDER_REVIEW, S.SHORTLISTED])
def test_destructive_moves_have_their_own_style_and_group_and_others_do_not(staff_client, status):
    app = submitted(status=status)
    page = staff_client.get(change_url(app)).content.decode()
    shown = buttons(page)
    assert "withdrawn" in shown and len(shown) >= 2
    for target, classes in shown.items():
        assert "transition-button" in classes.split()  # the larger target, for every move
        assert ("transition-destructive" in classes.split()) is (target in DESTRUCTIVE), target
    destructive_group = page[page.index('aria-label="End this application"') :]
    destructive_group = destructive_group[: destructive_group.index("</div>")]
    assert set(re.findall(r'value="([a-z_]+)"', destructive_group)) == set(shown) & set(DESTRUCTIVE)


@pytest.mark.parametrize("target", list(DESTRUCTIVE))
def test_every_destructive_move_asks_for_confirmation_before_anything_moves(staff_client, target):
    start = S.UNDER_REVIEW if target == S.NOT_AWARDED else S.SUBMITTED
    app = submitted(status=start)

    first = staff_client.post(transition_url(app), {"to_status": target, "note": "Asked by email"})
    page = first.content.decode()
    assert first.status_code == 200
    assert "This ends the application" in page
    assert re.search(
        r'<input type="submit" name="confirm" value="Confirm: move to [^"]+" class="transition-destructive">', page
    )
    assert "Asked by email" in page  # the note typed is kept on the confirmation page
    app.refresh_from_db()
    assert app.status == start and not ApplicationEvent.objects.filter(application=app, to_status=target).exists()

    staff_client.post(transition_url(app), {"to_status": target, "note": "Asked by email", "confirm": "1"})
    app.refresh_from_db()
    assert app.status == target


def test_forward_moves_that_email_nobody_still_happen_in_one_step(staff_client):
    app = submitted(status=S.SUBMITTED)
    assert staff_client.post(transition_url(app), {"to_status": "eligible"}).status_code == 302
    app.refresh_from_db()
    assert app.status == S.ELIGIBLE


# --- Assign a reviewer from the application page ------------------------------------------------------------


@pytest.mark.parametrize("status", [S.SUBMITTED, S.ELIGIBLE, S.UNDER_REVIEW, S.SHORTLISTED])
def test_staff_assign_a_reviewer_from_the_application_page(staff_client, status):
    app = submitted(status=status)
    ada = reviewer(full_name="Ada Reviewer")
    page = staff_client.get(change_url(app)).content.decode()
    assert (
        "Assign a reviewer" in page and f'<option value="{ada.pk}">Ada Reviewer (Reviewer Institute)</option>' in page
    )

    response = staff_client.post(assign_url(app), {"reviewer": ada.pk}, follow=True)
    assert "Ada Reviewer is assigned to" in response.content.decode()
    assert ReviewerAssignment.objects.filter(application=app, reviewer=ada).count() == 1
    assert OutboundEmail.objects.filter(to=ada.email).count() == 1  # the service's email
    assert ApplicationEvent.objects.filter(application=app, kind=ApplicationEvent.Kind.ASSIGNED).count() == 1
    page = staff_client.get(change_url(app)).content.decode()
    assert f'<option value="{ada.pk}">' not in page  # no longer offered


@pytest.mark.parametrize("status", [S.DRAFT, S.AWARDED, S.NOT_AWARDED, S.INELIGIBLE, S.WITHDRAWN])
def test_no_assign_form_on_applications_that_cannot_be_reviewed(staff_client, status):
    app = submitted(status=status)
    reviewer()
    assert "Assign a reviewer" not in staff_client.get(change_url(app)).content.decode()
    assert staff_client.post(assign_url(app), {"reviewer": reviewer().pk}).status_code == 400
    assert not ReviewerAssignment.objects.exists()


def test_assign_refuses_non_reviewers_and_the_applicant_with_a_message(staff_client):
    app = submitted(status=S.SUBMITTED)
    reviewer()
    for who in (person(is_staff=True), person(), app.applicant):
        response = staff_client.post(assign_url(app), {"reviewer": who.pk, "note": "Typed note"})
        page = response.content.decode()
        assert response.status_code == 400
        assert "Choose a reviewer from the list" in page and "Typed note" in page
    response = staff_client.post(assign_url(app), {"reviewer": ""})
    assert response.status_code == 400 and "Choose a reviewer to assign." in response.content.decode()
    assert not ReviewerAssignment.objects.exists() and not OutboundEmail.objects.exists()


def test_likely_conflict_needs_the_override_and_a_note(staff_client):
    app = submitted(status=S.SUBMITTED, organisation="Cardiff and Vale University Health Board")
    conflicted = reviewer(organisation="Cardiff & Vale University Health Board")

    refused = staff_client.post(assign_url(app), {"reviewer": conflicted.pk, "note": "Panel chair"})
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "Likely conflict of interest: The reviewer&#x27;s organisation" in page and "Panel chair" in page
    no_note = staff_client.post(assign_url(app), {"reviewer": conflicted.pk, "override": "on"})
    assert "Say why you are assigning them anyway." in no_note.content.decode()
    assert not ReviewerAssignment.objects.exists()

    ok = {"reviewer": conflicted.pk, "override": "on", "note": "Different directorate"}
    assert staff_client.post(assign_url(app), ok).status_code == 302
    event = ApplicationEvent.objects.get(application=app, kind=ApplicationEvent.Kind.ASSIGNED)
    assert event.note == "Different directorate" and event.data["flagged_conflict"]


def test_assigning_twice_at_once_makes_one_assignment(staff_client):
    app = submitted(status=S.SUBMITTED)
    ada = reviewer()
    staff_client.post(assign_url(app), {"reviewer": ada.pk})
    again = staff_client.post(assign_url(app), {"reviewer": ada.pk})
    assert again.status_code == 400  # no longer in the list
    assert ReviewerAssignment.objects.filter(application=app).count() == 1


def test_staff_who_may_only_view_and_reviewers_cannot_assign(client):
    app = submitted(status=S.SUBMITTED)
    ada = reviewer()
    for who in (staff_without_change(), reviewer()):
        login_with_mfa(client, who)
        page = client.get(change_url(app))
        assert "Assign a reviewer" not in page.content.decode()
        assert client.post(assign_url(app), {"reviewer": ada.pk}).status_code in (302, 403)
        client.logout()
    assert not ReviewerAssignment.objects.exists()
