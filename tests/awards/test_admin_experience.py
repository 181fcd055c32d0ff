"""Issue 14, staff side: the award preview refuses an amount the call cannot pay; destructive moves look
different and ask again; a reviewer is assigned from the application page."""

from decimal import Decimal

import pytest

from awards.models import Application
from crossector.core.models import OutboundEmail
from tests.awards.factories import AwardCallFactory
from tests.awards.staff import submitted

pytestmark = pytest.mark.django_db
S = Application.Status
LIST = "/admin/awards/application/"


def transition_url(app):
    return f"{LIST}{app.pk}/transition/"


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
