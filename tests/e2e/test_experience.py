"""Issue 14, applicants and attendees, in a real browser: add-another sections, money and dates typed as
people type them, the withdraw and letter-arrived emails, a used signatory link, and a cancelled booking
that leaves the attendee's calendar."""

import base64
import re

import pytest
from django.test import Client
from icalendar import Calendar
from playwright.sync_api import expect

from awards import services as award_services
from awards.models import Application
from crossector.core.models import OutboundEmail
from events import services as event_services
from tests.awards.factories import application, complete, pdf_bytes
from tests.e2e.conftest import assert_accessible, outbox_link
from tests.events.factories import EventFactory
from tests.factories import person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.mark.parametrize(
    ("section", "adds", "next_heading"),
    [
        ("partners", "Save and add another partner", "Your proposal"),
        ("costs", "Save and add another cost", "Documents"),
    ],
)
@pytest.mark.parametrize("leave_by", ["Save and continue", "Save and return to the task list"])
def test_after_adding_another_both_save_buttons_leave_the_page(
    live_server, browser, section, adds, next_heading, leave_by
):
    app = application(organisation_sector="nhs")
    page = signed_in(browser, live_server, app.applicant)
    app.partners.all().delete()
    app.cost_lines.all().delete()
    page.goto(f"{live_server.url}/awards/{app.call.slug}/apply/{section}/")
    if section == "partners":
        page.get_by_label("Organisation name").fill("First partner Ltd")
    else:
        page.get_by_label("Category").select_option("backfill")
        page.get_by_label("Amount").fill("40,000")
        page.get_by_label("Justification").fill("Backfill.")
    page.get_by_role("button", name=adds).click()
    expect(page).to_have_url(re.compile(r"\?add=1$"))
    count = page.locator("fieldset legend").filter(has_text=re.compile(r"^(Partner organisation|Cost) \d+$")).count()
    assert count == 2, page.locator("main").inner_text()[:1500]  # the saved one and a new empty one
    assert_accessible(page, f"{section} after add another")
    if section == "partners":
        page.get_by_label("Organisation name").last.fill("Second partner Ltd")
    else:
        page.get_by_label("Category").last.select_option("travel")
        page.get_by_label("Amount").last.fill("1,250")
        page.get_by_label("Justification").last.fill("Train fares to the partner.")
    page.get_by_role("button", name=leave_by).click()
    if leave_by == "Save and continue":
        expect(page.get_by_role("heading", level=1)).to_have_text(next_heading)
    else:
        expect(page.get_by_role("heading", level=1)).to_contain_text("Your application")
    rows = app.partners.count() if section == "partners" else app.cost_lines.count()
    assert rows == 2


def test_money_and_the_start_date_are_typed_as_people_type_them(live_server, browser):
    app = application()
    app.cost_lines.all().delete()
    page = signed_in(browser, live_server, app.applicant)
    page.goto(f"{live_server.url}/awards/{app.call.slug}/apply/costs/")
    expect(page.locator("input[type=date]")).to_have_count(0)  # no browser date picker (mm/dd/yyyy)
    expect(page.get_by_role("group", name="Start date")).to_be_visible()  # a fieldset: day, month, year
    page.get_by_label("Day", exact=True).fill("31")
    page.get_by_label("Month", exact=True).fill("2")
    page.get_by_label("Year", exact=True).fill("2031")
    page.get_by_label("Category").select_option("backfill")
    page.get_by_label("Amount").fill("72k")
    page.get_by_label("Justification").fill("Backfill for six months.")
    page.get_by_role("button", name="Save and continue").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("must be a real date")
    expect(summary).to_contain_text("Cost 1, amount: Enter the amount in pounds using numbers only")
    expect(page.get_by_text("This field is required.")).to_have_count(0)
    expect(page.get_by_label("Justification")).to_have_value("Backfill for six months.")  # nothing lost
    assert_accessible(page, "costs with money and date errors")

    page.get_by_label("Day", exact=True).fill("28")
    page.get_by_label("Amount").fill("£72,000.50")
    page.get_by_role("button", name="Save and return to the task list").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your application")
    app.refresh_from_db()
    assert str(app.start_date) == "2031-02-28"
    assert str(app.cost_lines.get().amount) == "72000.50"

    page.goto(f"{live_server.url}/awards/{app.call.slug}/apply/costs/")
    expect(page.get_by_label("Amount")).to_have_value("72,000.50")
    expect(page.get_by_label("Day", exact=True)).to_have_value("28")
    expect(page.get_by_text("Total saved: £72,000.50")).to_be_visible()
    expect(page.get_by_text("£72000")).to_have_count(0)


def test_withdrawing_emails_the_applicant(live_server, browser):
    app = complete(application())
    award_services.application_submit(application=app, user=app.applicant)
    page = signed_in(browser, live_server, app.applicant)
    page.goto(f"{live_server.url}/awards/applications/{app.pk}/withdraw/")
    assert_accessible(page, "withdraw")
    page.get_by_role("button", name="Yes, withdraw my application").click()
    expect(page.get_by_text("Withdrawn").first).to_be_visible()
    assert Application.objects.get(pk=app.pk).status == Application.Status.WITHDRAWN
    email = OutboundEmail.objects.get(idempotency_key=f"application-{app.pk}-withdrawn")
    assert email.to == app.applicant.email and "was withdrawn on" in email.body_text


def test_letter_arrives_applicant_is_told_and_the_used_link_says_so(live_server, browser, tmp_path):
    app = application(title="Secret proposal title")
    award_services.signatory_request_create(
        application=app, user=app.applicant, kind="partner_letter", name="Prof Host", email="host@example.org"
    )
    link = outbox_link("host@example.org", r"(/awards/letters/[^/\s]+/)")
    signatory = browser.new_context().new_page()
    signatory.goto(live_server.url + link)
    assert_accessible(signatory, "signatory upload")
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(pdf_bytes("Signed letter"))
    signatory.get_by_label("The signed letter (PDF)").set_input_files(letter)
    signatory.get_by_role("button", name="Upload the letter").click()
    expect(signatory.get_by_role("heading", level=1)).to_have_text("Thank you, the letter has been received")

    told = OutboundEmail.objects.get(to=app.applicant.email, subject__contains="has arrived")
    assert "Prof Host has uploaded the letter of support" in told.body_text

    # Opening the link again: not a bare "Page not found", and nothing else of the application.
    response = signatory.goto(live_server.url + link)
    assert response.status == 200
    expect(signatory.get_by_role("heading", level=1)).to_have_text("This letter has already been uploaded")
    assert "Secret proposal title" not in signatory.content()
    assert_accessible(signatory, "used signatory link")
    assert signatory.goto(live_server.url + "/awards/letters/not-a-real-link/").status == 404


def test_cancelled_booking_leaves_the_calendar_and_people_to_meet_is_linked(live_server, browser):
    event = EventFactory(title="Digital pathology round-table", slug="digital-pathology-round-table")
    attendee = person()
    booking = event_services.booking_create(event=event, user=attendee)
    confirmed = OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-confirmed")

    page = signed_in(browser, live_server, attendee)
    page.goto(live_server.url + event.get_absolute_url())
    expect(page.get_by_role("link", name="People to meet at this event")).to_be_visible()
    page.goto(live_server.url + "/events/bookings/")
    people = page.get_by_role("link", name=f"People to meet at {event.title}")
    expect(people).to_have_attribute("href", f"/network/events/{event.slug}/")
    assert_accessible(page, "my bookings with people to meet")

    page.get_by_role("link", name=f"Cancel {event.title}").click()
    page.get_by_role("button", name="Yes, cancel my booking").click()
    expect(page.get_by_role("status")).to_contain_text("is cancelled")

    def vevent(email):
        (ics,) = email.attachments
        assert ics["mimetype"].startswith("text/calendar")
        calendar = Calendar.from_ical(base64.b64decode(ics["content_b64"]))
        return calendar, next(c for c in calendar.walk() if c.name == "VEVENT")

    _, held = vevent(confirmed)
    calendar, cancel = vevent(OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-cancelled"))
    assert calendar["method"] == "CANCEL" and cancel["status"] == "CANCELLED"
    assert cancel["uid"] == held["uid"] and cancel["sequence"] > held["sequence"]
