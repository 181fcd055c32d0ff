from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from awards import services
from awards.models import Application, Document, ReviewerAssignment
from crossector.core.models import OutboundEmail
from tests.awards.factories import AwardCallFactory, application, complete, deadline_call, pdf_bytes, pdf_upload
from tests.factories import person
from tests.storage import downloaded

pytestmark = pytest.mark.django_db


def _url(app, section=""):
    return f"/awards/{app.call.slug}/apply/{section + '/' if section else ''}"


# --- Calls --------------------------------------------------------------------------------------------------


def test_call_list_shows_open_upcoming_and_past_calls(client):
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    AwardCallFactory(name="Open round", opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30))
    AwardCallFactory(name="Next round", opens_at=now + timedelta(days=60), closes_at=now + timedelta(days=120))
    deadline_call(datetime(2024, 2, 29, 16, tzinfo=UTC), name="2024 round")
    with time_machine.travel(now, tick=False):
        content = client.get("/awards/").content.decode()
    open_at, upcoming_at, past_at = (content.index(x) for x in ("Open round", "Next round", "2024 round"))
    assert open_at < upcoming_at < past_at
    assert "29 February 2024, 4:00pm UK time" in content


def test_call_page_shows_deadline_time_left_and_explains_a_no(client):
    call = deadline_call(datetime(2027, 2, 26, 16, tzinfo=UTC))
    call.faqs.create(question="Can my partner be abroad?", answer="Yes, outside the UK is fine.")
    with time_machine.travel(datetime(2027, 2, 24, 12, tzinfo=UTC), tick=False):
        content = client.get(f"/awards/{call.slug}/").content.decode()
        assert "26 February 2027, 4:00pm UK time" in content and "2 days and 4 hours left" in content
        assert "Can my partner be abroad?" in content and "backfill" in content
        answered = client.get(
            f"/awards/{call.slug}/",
            {"employed": "yes", "different_sector": "no", "health_link": "yes", "employer_support": "yes"},
        )
    assert "you cannot apply yet" in answered.content.decode()
    assert "must be in a different sector" in answered.content.decode()


def test_notify_me_records_one_request(client, user):
    client.force_login(user)
    client.post("/awards/notify/")
    client.post("/awards/notify/")
    assert user.award_call_notices.count() == 1


# --- Starting, saving and returning ---------------------------------------------------------------------


def test_start_prefills_and_task_list_shows_progress(client, user):
    call = AwardCallFactory()
    client.force_login(user)
    response = client.post(f"/awards/{call.slug}/apply/")
    assert response.status_code == 302
    content = client.get(f"/awards/{call.slug}/apply/").content.decode()
    assert "0 of 6 sections" in content
    you = client.get(f"/awards/{call.slug}/apply/you/").content.decode()
    assert user.profile.organisation in you


def test_partial_section_saves_and_invalid_text_is_kept(client):
    app = application()
    client.force_login(app.applicant)
    response = client.post(_url(app, "proposal"), {"title": "Half done", "summary": "word " * 251, "return": ""})
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content and 'href="#id_summary"' in content
    assert "word word word" in content  # the text typed is still there
    assert Application.objects.get().title == ""  # nothing half-written saved
    response = client.post(_url(app, "proposal"), {"title": "Half done", "return": ""})
    assert response.status_code == 302 and response["Location"] == _url(app)
    assert Application.objects.get().title == "Half done"


def test_partners_and_costs_save_as_rows(client):
    app = application(organisation_sector="nhs")
    client.force_login(app.applicant)
    data = {
        "partners-TOTAL_FORMS": "2",
        "partners-INITIAL_FORMS": "0",
        "partners-0-name": "Helix",
        "partners-0-sector": "industry_sme",
        "partners-0-is_health_related": "yes",
        "partners-1-name": "Trust",
        "partners-1-sector": "nhs",
    }
    response = client.post(_url(app, "partners"), data)
    assert response.status_code == 200 and "different sector" in response.content.decode()
    assert not app.partners.exists()
    data["partners-1-sector"] = "academia"
    assert client.post(_url(app, "partners"), data).status_code == 302
    assert list(app.partners.values_list("name", "is_health_related")) == [("Helix", True), ("Trust", None)]
    costs = {
        "costs-TOTAL_FORMS": "1",
        "costs-INITIAL_FORMS": "0",
        "costs-0-category": "travel",
        "costs-0-amount": "100000.01",
        "costs-0-justification": "Flights",
        "duration_months": "6",
    }
    assert "more than this call" in client.post(_url(app, "costs"), costs).content.decode()
    costs["costs-0-amount"] = "2500.50"
    assert client.post(_url(app, "costs"), costs).status_code == 302
    assert str(app.cost_lines.get().amount) == "2500.50"


def test_text_posted_after_the_session_expired_is_restored_after_signing_in(client):
    app = application()
    # Signed out (session expired), the applicant presses save:
    response = client.post(
        _url(app, "proposal"), {"title": "Typed before the session expired", "aims": "Long careful text"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    next_url = parse_qs(urlparse(response["Location"]).query)["next"][0]
    assert next_url.startswith(_url(app, "proposal") + "?restore=")
    client.force_login(app.applicant)
    content = client.get(next_url).content.decode()
    assert "Typed before the session expired" in content and "Long careful text" in content
    assert "we kept what you typed" in content
    assert Application.objects.get().title == ""  # shown for saving, not saved behind their back
    other = person()
    client.force_login(other)  # the token only works once
    assert "Typed before" not in client.get(next_url).content.decode()


# --- Documents ---------------------------------------------------------------------------------------------


def test_upload_pdf_and_refuse_renamed_exe_and_20_mb(client, upload_storage):
    app = application()
    client.force_login(app.applicant)
    assert client.post(_url(app, "documents"), {"cv": pdf_upload("my-cv.pdf")}).status_code == 302
    cv = Document.objects.get()
    assert cv.original_name == "my-cv.pdf" and "my-cv" not in cv.file.name and cv.file.name.endswith(".pdf")
    assert default_storage.open(cv.file.name).read().startswith(b"%PDF-")
    exe = SimpleUploadedFile("letter.pdf", b"MZ\x90\x00" + b"\x00" * 500, content_type="application/pdf")
    response = client.post(_url(app, "documents"), {"partner_letter": exe})
    assert response.status_code == 400 and "must be a PDF" in response.content.decode()
    big = SimpleUploadedFile("big.pdf", pdf_bytes(padding=20 * 1024 * 1024), content_type="application/pdf")
    response = client.post(_url(app, "documents"), {"employer_statement": big})
    assert response.status_code == 400 and "10 MB or smaller" in response.content.decode()
    assert list(Document.objects.values_list("kind", flat=True)) == ["cv"]


def test_document_permissions_follow_the_access_policy_by_role_and_assurance(client, staff_user, upload_storage):
    from tests.conftest import login_with_mfa
    from tests.security.world import reviewer_in_group

    app = application()
    doc = Document(application=app, kind="cv", original_name="cv.pdf", size=10)
    doc.file.save("x.pdf", pdf_upload(), save=True)
    url = f"/awards/documents/{doc.pk}/"
    assert client.get(url)["Location"].startswith("/accounts/login/")  # signed out: sign in first
    client.force_login(person())
    assert client.get(url).status_code == 404  # another user
    reviewer = reviewer_in_group()
    client.force_login(reviewer)
    assert client.get(url).status_code == 404  # a reviewer, not assigned
    ReviewerAssignment.objects.create(application=app, reviewer=reviewer)
    assert client.get(url)["Location"].startswith("/accounts/2fa/")  # assigned, password only
    login_with_mfa(client, reviewer)
    assert downloaded(client.get(url)).body.startswith(b"%PDF-")  # assigned reviewer with the second factor
    client.force_login(staff_user)
    assert client.get(url)["Location"].startswith("/accounts/2fa/")  # staff, password only
    login_with_mfa(client, staff_user)
    assert downloaded(client.get(url)).body.startswith(b"%PDF-")
    client.force_login(app.applicant)  # the applicant's own document: a password is enough
    response = client.get(url)
    download = downloaded(response)  # streamed from the file system, or a signed link into the bucket
    assert download.headers["Content-Type"] == "application/pdf" and download.body.startswith(b"%PDF-")
    assert "no-store" in response["Cache-Control"]


# --- Check answers, submit and afterwards -------------------------------------------------------------------


def test_check_answers_lists_missing_items_linking_to_their_fields(client):
    app = application()
    client.force_login(app.applicant)
    content = client.get(_url(app, "check")).content.decode()
    assert f'href="{_url(app, "proposal")}#id_summary"' in content
    assert f'href="{_url(app, "partners")}#id_partners-0-name"' in content
    assert "Change<span" in content


def test_submit_through_the_page_shows_the_reference_and_queues_the_receipt(client):
    app = complete(application())
    client.force_login(app.applicant)
    response = client.post(
        _url(app, "check"),
        {"declare_accurate": "on", "declare_employer_agrees": "on", "declare_data_use": "on", "submit": ""},
        follow=True,
    )
    app.refresh_from_db()
    assert app.reference.startswith("CSEA-")
    assert app.reference in response.content.decode()
    assert OutboundEmail.objects.filter(idempotency_key=f"application-{app.pk}-receipt").exists()


def test_submit_one_second_after_the_deadline_is_refused_with_the_cut_off(client):
    deadline = datetime(2027, 2, 26, 16, tzinfo=UTC)
    app = complete(application(call=deadline_call(deadline)))
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        client.force_login(app.applicant)
        response = client.post(
            _url(app, "check"),
            {"declare_accurate": "on", "declare_employer_agrees": "on", "declare_data_use": "on", "submit": ""},
        )
    assert response.status_code == 400
    assert "26 February 2027, 4:00pm UK time" in response.content.decode()
    assert Application.objects.get().status == Application.Status.DRAFT


def test_post_to_a_submitted_application_is_refused_and_data_unchanged(client):
    app = complete(application())
    services.application_submit(application=app, user=app.applicant)
    client.force_login(app.applicant)
    response = client.post(_url(app, "you"), {"organisation": "Changed"})
    assert response.status_code == 302 and response["Location"] == f"/awards/applications/{app.pk}/"
    response = client.post(_url(app, "documents"), {"cv": pdf_upload("new.pdf")})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.organisation == "Cardiff and Vale University Health Board"
    assert Document.objects.get(application=app, kind="cv").original_name == "cv.pdf"
    page = client.get(f"/awards/applications/{app.pk}/").content.decode()
    assert "can no longer be changed" in page


def test_another_users_application_is_404(client):
    app = complete(application())
    services.application_submit(application=app, user=app.applicant)
    client.force_login(person())
    for suffix in ("", "print/", "withdraw/", "submitted/"):
        assert client.get(f"/awards/applications/{app.pk}/{suffix}").status_code == 404
    assert client.post(f"/awards/applications/{app.pk}/withdraw/").status_code == 404
    assert Application.objects.get().status == Application.Status.SUBMITTED


def test_read_only_view_print_page_withdraw_and_my_applications(client):
    app = complete(application())
    services.application_submit(application=app, user=app.applicant)
    client.force_login(app.applicant)
    assert "AI for pathology triage" in client.get(f"/awards/applications/{app.pk}/print/").content.decode()
    mine = client.get("/awards/applications/").content.decode()
    assert app.reference in mine and "Submitted" in mine
    assert client.post(f"/awards/applications/{app.pk}/withdraw/").status_code == 302
    assert "Withdrawn" in client.get("/awards/applications/").content.decode()


def test_hub_restricted_call_needs_attendance_at_one_of_the_hubs_events(client):
    from events.models import Booking
    from tests.events.factories import EventFactory, HubFactory

    hub = HubFactory(name="Wales hub")
    call = AwardCallFactory(restricted_to_hub=hub)
    attendee, stranger = person(), person()
    past = EventFactory(hub=hub, starts_at=datetime.now(UTC) - timedelta(days=30))
    Booking.objects.create(event=past, user=attendee, status=Booking.Status.CONFIRMED)
    client.force_login(stranger)
    response = client.post(f"/awards/{call.slug}/apply/", follow=True)
    assert "only open to people who attended an event of the Wales hub" in response.content.decode()
    assert not Application.objects.exists()
    client.force_login(attendee)
    client.post(f"/awards/{call.slug}/apply/")
    assert Application.objects.get().applicant == attendee


def test_saving_the_partners_page_untouched_keeps_the_partners(client):
    app = application(organisation_sector="nhs")
    app.partners.create(name="Helix", sector="industry_sme", country="UK", contact_name="Tom", is_health_related=True)
    client.force_login(app.applicant)
    data = {
        "partners-TOTAL_FORMS": "1",
        "partners-INITIAL_FORMS": "1",
        "partners-0-name": "Helix",
        "partners-0-sector": "industry_sme",
        "partners-0-country": "UK",
        "partners-0-contact_name": "Tom",
        "partners-0-is_health_related": "yes",
    }
    assert client.post(_url(app, "partners"), data).status_code == 302
    assert list(app.partners.values_list("name", flat=True)) == ["Helix"]
    data["partners-0-DELETE"] = "on"
    client.post(_url(app, "partners"), data)
    assert not app.partners.exists()


@pytest.mark.parametrize(
    ("status", "amount", "shown"),
    [("awarded", "45000.00", "£45,000"), ("awarded", "12500.50", "£12,500.50"), ("not_awarded", None, None)],
)
def test_application_page_shows_the_amount_awarded(client, status, amount, shown):
    app = complete(application())
    services.application_submit(application=app, user=app.applicant)
    Application.objects.filter(pk=app.pk).update(status=status, awarded_amount=amount)
    client.force_login(app.applicant)
    page = client.get(f"/awards/applications/{app.pk}/").content.decode()
    assert ("Amount awarded" in page) == bool(shown)
    if shown:
        assert shown in page and f"{shown}.00" not in page


def _section_post(section, rows, button):
    if section == "partners":
        data = {"partners-TOTAL_FORMS": str(rows), "partners-INITIAL_FORMS": str(rows - 1)}
        for i in range(rows):
            data.update({f"partners-{i}-name": f"Partner {i}", f"partners-{i}-country": "UK"})
    else:
        data = {"costs-TOTAL_FORMS": str(rows), "costs-INITIAL_FORMS": str(rows - 1), "duration_months": "6"}
        for i in range(rows):
            row = {"category": "travel", "amount": "1,000", "justification": "T"}
            data.update({f"costs-{i}-{k}": v for k, v in row.items()})
    data[button] = ""
    return data


@pytest.mark.parametrize("section", ["partners", "costs"])
@pytest.mark.parametrize(("button", "goes_to"), [("continue", "next"), ("return", "apply"), ("add", "add")])
def test_after_save_and_add_another_every_button_does_what_it_says(client, section, button, goes_to):
    app = application(organisation_sector="nhs")
    app.partners.all().delete()
    app.cost_lines.all().delete()
    client.force_login(app.applicant)
    base = f"/awards/{app.call.slug}/apply/{section}/"
    first = client.post(base, _section_post(section, 1, "add"))
    assert first["Location"] == base + "?add=1"
    # The page after "Save and add another" posts back to ?add=1 (its form has no action of its own).
    second = client.post(base + "?add=1", _section_post(section, 2, button))
    expected = {
        "next": f"/awards/{app.call.slug}/apply/{'proposal' if section == 'partners' else 'documents'}/",
        "apply": f"/awards/{app.call.slug}/apply/",
        "add": base + "?add=1",
    }[goes_to]
    assert second.status_code == 302 and second["Location"] == expected
    saved = app.partners.count() if section == "partners" else app.cost_lines.count()
    assert saved == 2


@pytest.mark.parametrize(
    ("day", "month", "year", "said"),
    [
        ("", "", "", None),  # saving a draft may leave it empty
        ("28", "2", "2031", None),
        ("31", "2", "2031", "The start date must be a real date"),
        ("", "2", "2031", "The start date must include a day"),
        ("1", "", "", "The start date must include a month and a year"),
        ("1", "2", "31", "Enter the year of the start date as 4 digits"),
        ("1st", "Feb", "2031", "Enter the start date using numbers"),
    ],
)
def test_start_date_is_three_labelled_boxes_with_specific_messages(client, day, month, year, said):
    app = application()
    client.force_login(app.applicant)
    url = f"/awards/{app.call.slug}/apply/costs/"
    page = client.get(url).content.decode()
    assert 'type="date"' not in page
    for name, label in (("day", "Day"), ("month", "Month"), ("year", "Year")):
        assert f'name="start_date_{name}"' in page and f">{label}</label>" in page
    data = {"costs-TOTAL_FORMS": "1", "costs-INITIAL_FORMS": "0", "return": ""}
    data.update({"start_date_day": day, "start_date_month": month, "start_date_year": year})
    response = client.post(url, data)
    if said is None:
        assert response.status_code == 302
    else:
        assert response.status_code == 200 and said in response.content.decode()
        assert f'value="{day}"' in response.content.decode()  # what was typed stays in the box


PARTNER_ROW = {"name": "Helix", "sector": "industry_sme", "country": "UK", "contact_name": "Tom"}
COST_ROWS = [("backfill", "30000", "Backfill my post"), ("travel", "500", "Trains to Cardiff")]


def _rows_post(section: str, rows: list[dict], initial: int) -> dict:
    data = {f"{section}-TOTAL_FORMS": str(len(rows)), f"{section}-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        data.update({f"{section}-{i}-{k}": v for k, v in row.items()})
    if section == "costs":
        data["duration_months"] = "6"
    return data


@pytest.mark.parametrize("initial", [0, 1], ids=["page as first shown", "page after add another"])
@pytest.mark.parametrize("section", ["partners", "costs"])
def test_the_same_rows_page_posted_again_saves_the_same_rows(client, section, initial):
    """A double click, or Back then Save: posting the same page again must leave the section as one post did.

    Both shapes of the page: rows all new (INITIAL_FORMS=0), and one saved row plus one added (INITIAL_FORMS=1).
    """
    app = application(organisation_sector="nhs")
    client.force_login(app.applicant)
    if section == "partners":
        rows = [PARTNER_ROW, {**PARTNER_ROW, "name": "Trust", "sector": "academia"}]
        saved = lambda: list(app.partners.order_by("pk").values_list("name", flat=True))  # noqa: E731
        expected = ["Helix", "Trust"]
    else:
        rows = [{"category": c, "amount": a, "justification": j} for c, a, j in COST_ROWS]
        saved = lambda: [(c, str(a)) for c, a in app.cost_lines.order_by("pk").values_list("category", "amount")]  # noqa: E731
        expected = [("backfill", "30000.00"), ("travel", "500.00")]
    if initial:
        first = _rows_post(section, rows[:1], 0)
        assert client.post(_url(app, section), first).status_code == 302
    data = _rows_post(section, rows, initial)
    for attempt in range(4):
        response = client.post(_url(app, section), data)
        assert response.status_code == 302, (attempt, response.content.decode()[:500])
        assert saved() == expected, f"after post {attempt + 1}"


def _rows_version(client, app, section) -> str:
    import re

    page = client.get(_url(app, section)).content.decode()
    return re.search(r'name="rows_version" value="([0-9a-f]+)"', page).group(1)


@pytest.mark.parametrize("section", ["partners", "costs"])
def test_a_stale_rows_page_never_deletes_rows_saved_since_and_says_why(client, section):
    """Back then Save, or a second tab: the page's rows were changed after it was shown. Nothing is saved, the
    page says so with what was typed, and a second save from that page (now up to date) is the person's choice."""
    app = application(organisation_sector="nhs")
    client.force_login(app.applicant)
    if section == "partners":
        rows = [PARTNER_ROW, {**PARTNER_ROW, "name": "Later", "sector": "academia"}]
        saved = lambda: list(app.partners.order_by("pk").values_list("name", flat=True))  # noqa: E731
    else:
        rows = [{"category": c, "amount": a, "justification": j} for c, a, j in COST_ROWS]
        saved = lambda: list(app.cost_lines.order_by("pk").values_list("category", flat=True))  # noqa: E731
    assert client.post(_url(app, section), _rows_post(section, rows[:1], 0)).status_code == 302
    kept = {**_rows_post(section, rows[:1], 1), "rows_version": _rows_version(client, app, section)}  # tab 1
    other_tab = {**_rows_post(section, rows, 1), "rows_version": kept["rows_version"]}
    assert client.post(_url(app, section), other_tab).status_code == 302  # tab 2 adds a row
    first_two = saved()
    assert len(first_two) == 2
    edited = {**kept}
    first_field = "name" if section == "partners" else "justification"
    edited[f"{section}-0-{first_field}"] = "Renamed in the old tab"
    response = client.post(_url(app, section), edited)  # the old page, saved
    page = response.content.decode()
    assert response.status_code == 409 and "changed in another window or tab" in page
    assert "Renamed in the old tab" in page  # what they typed is still there
    assert saved() == first_two  # nothing deleted
    # Saving again from the page that now says what happened is a choice: it is saved.
    again = {**edited, "rows_version": _rows_version(client, app, section)}
    assert client.post(_url(app, section), again).status_code == 302
    assert len(saved()) == 1


def test_the_same_rows_page_posted_again_with_its_version_is_still_a_harmless_repeat(client):
    app = application(organisation_sector="nhs")
    client.force_login(app.applicant)
    version = _rows_version(client, app, "partners")
    data = {**_rows_post("partners", [PARTNER_ROW, {**PARTNER_ROW, "name": "Trust", "sector": "academia"}], 0)}
    data["rows_version"] = version
    for _ in range(3):
        assert client.post(_url(app, "partners"), data).status_code == 302
    assert list(app.partners.order_by("pk").values_list("name", flat=True)) == ["Helix", "Trust"]
