"""Everything a person can make the portal store or send is bounded on the server (issue 13, item 4).

One test (or more) per path, each checking the limit, the message and that nothing past it was kept or
sent; plus structural tests that fail when a new formset or text field comes without a bound, and one
that checks docs/security.md lists every bound. The stash has its own file: tests/awards/test_stash.py.
"""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django import forms as django_forms
from django.conf import settings as django_settings
from django.utils import timezone

from awards.forms import sections
from awards.models import CallOpenNoticeRequest, CostLine, Document, PartnerOrganisation, SignatoryRequest
from crossector.core.models import OutboundEmail, Profile
from crossector.core.vocabulary import Sector
from events.models import Booking
from hubs.models import HubFollow
from hubs.network.models import AbuseReport, ConnectionRequest
from tests.awards.factories import AwardCallFactory, application, pdf_upload
from tests.events.factories import EventFactory, HubFactory
from tests.factories import person
from tests.network.factories import member

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("awards", "events", "hubs", "crossector")


def _draft_client(client, **fields):
    app = application(**fields)
    client.force_login(app.applicant)
    return app


def _section(app, section):
    return f"/awards/{app.call.slug}/apply/{section}/"


# --- The body of a request ----------------------------------------------------------------------------

BIG = "x" * (3 * 1024 * 1024)  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2 MB)


def test_form_bodies_are_bounded_by_a_documented_setting():
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024


def _too_large(response):
    assert response.status_code == 413
    content = response.content.decode()
    assert "What you sent is too large" in content and "at most 2 MB of text" in content
    assert "Nothing was saved" in content


@pytest.mark.parametrize("section", ["you", "partners", "proposal", "costs"])
def test_a_huge_field_on_any_section_is_refused_and_the_draft_unchanged(client, section):
    app = _draft_client(client, title="Kept", role="Kept role")
    _too_large(client.post(_section(app, section), {"title": BIG, "role": BIG, "partners-0-name": BIG}))
    app.refresh_from_db()
    assert (app.title, app.role) == ("Kept", "Kept role")
    assert not app.partners.exists() and not app.cost_lines.exists()


def test_a_huge_text_field_beside_a_file_is_refused_too(client):
    app = _draft_client(client)
    _too_large(client.post(_section(app, "documents"), {"cv": pdf_upload(), "note": BIG}))
    assert not Document.objects.exists()


def test_a_huge_field_on_the_other_apps_forms_is_refused(client):
    sender, other = member(), member()
    event = EventFactory()
    client.force_login(sender)
    _too_large(client.post(f"/network/people/{other.pk}/connect/", {"message": BIG}))
    _too_large(client.post(f"/network/people/{other.pk}/report/", {"reason": BIG}))
    _too_large(client.post(f"/events/{event.slug}/book/", {"access_requirements": BIG}))
    _too_large(client.post("/accounts/profile/", {"bio": BIG}))
    assert not ConnectionRequest.objects.exists() and not AbuseReport.objects.exists()
    assert not Booking.objects.exists() and not OutboundEmail.objects.exists()


def test_the_upload_limits_still_let_three_documents_through(client):
    """Files do not count towards the form limit: a request with the three PDFs and the form is fine."""
    app = _draft_client(client)
    files = {kind: pdf_upload(padding=3 * 1024 * 1024) for kind in ("cv", "partner_letter", "employer_statement")}
    assert client.post(_section(app, "documents"), files).status_code == 302
    assert Document.objects.count() == 3


# --- Free text in the application --------------------------------------------------------------------


TEXT_LIMITS = {  # written out by hand; the form's table must agree
    "summary": 3000,
    "aims": 6000,
    "why_now": 6000,
    "benefits": 6000,
    "lasting_links": 4000,
    "justification": 1000,
}


def test_the_character_limits_are_the_documented_ones():
    assert sections.TEXT_MAX_CHARS == TEXT_LIMITS


@pytest.mark.parametrize(("name", "limit"), sorted(TEXT_LIMITS.items()))
def test_every_free_text_answer_has_a_character_limit_with_a_message(client, name, limit):
    app = _draft_client(client, summary="Kept")
    section = "costs" if name == "justification" else "proposal"
    field = "costs-0-justification" if name == "justification" else name
    extra = (
        {"costs-TOTAL_FORMS": "1", "costs-INITIAL_FORMS": "0", "costs-0-category": "travel", "costs-0-amount": "10"}
        if section == "costs"
        else {}
    )
    response = client.post(_section(app, section), {**extra, field: "a" * (limit + 1)})
    assert response.status_code == 200
    assert f"Use {limit} characters or fewer (you have {limit + 1})." in response.content.decode()
    app.refresh_from_db()
    assert app.summary == "Kept" and not app.cost_lines.exists()
    assert client.post(_section(app, section), {**extra, field: "a" * limit}).status_code == 302


def _text_fields(form_class):
    for name, field in form_class.base_fields.items():
        if isinstance(field, django_forms.CharField) and not isinstance(field, django_forms.EmailField):
            yield name, field


def _form_classes():
    import importlib
    import inspect

    modules = [
        "awards.forms.sections",
        "awards.forms.calls",
        "events.forms",
        "hubs.network.forms",
        "crossector.core.forms",
    ]
    for module_name in modules:
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, django_forms.BaseForm) and cls.__module__ == module_name:
                yield cls


# Fields bounded other than by max_length, with where; staff-only forms with why.
TEXT_BOUND_ELSEWHERE = {
    ("ProposalForm", name): "TEXT_MAX_CHARS, added in __init__" for name in TEXT_LIMITS
} | {
    ("CostLineForm", "justification"): "TEXT_MAX_CHARS, added in __init__",
    ("AccountDeleteForm", "password"): "checked, never stored",
    ("AttendeeEmailForm", "message"): "staff only (two factors), to the event's own attendees; 2 MB form limit",
}


def test_every_text_field_a_person_fills_has_a_length_bound():
    """A new CharField without max_length fails here until it has a bound (or a reason above)."""
    missing = []
    for cls in _form_classes():
        for name, field in _text_fields(cls):
            if field.max_length is None and (cls.__name__, name) not in TEXT_BOUND_ELSEWHERE:
                missing.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert missing == []


# --- Formsets ------------------------------------------------------------------------------------------


def _partner_rows(n):
    data = {"partners-TOTAL_FORMS": str(n), "partners-INITIAL_FORMS": "0"}
    for i in range(n):
        data[f"partners-{i}-name"] = f"Partner {i}"
        data[f"partners-{i}-sector"] = Sector.INDUSTRY_SME
    return data


def _cost_rows(n):
    data = {"costs-TOTAL_FORMS": str(n), "costs-INITIAL_FORMS": "0"}
    for i in range(n):
        data |= {f"costs-{i}-category": "travel", f"costs-{i}-amount": "10", f"costs-{i}-justification": "Trains"}
    return data


def test_the_issue_input_eleven_partners_are_refused_with_a_message(client):
    app = _draft_client(client, organisation_sector=Sector.NHS)
    PartnerOrganisation.objects.create(application=app, name="Kept partner", sector=Sector.INDUSTRY_SME)
    response = client.post(_section(app, "partners"), _partner_rows(11))
    assert response.status_code == 200
    content = response.content.decode()
    assert "You can add up to 10 partner organisations. Remove one to add another." in content
    assert 'href="#id_partners-0-name"' in content  # in the error summary, linking to the rows
    assert list(app.partners.values_list("name", flat=True)) == ["Kept partner"]
    assert client.post(_section(app, "partners"), _partner_rows(10)).status_code == 302
    assert app.partners.count() == 10


def test_twenty_one_costs_are_refused_with_a_message(client):
    app = _draft_client(client)
    response = client.post(_section(app, "costs"), _cost_rows(21))
    assert "You can list up to 20 costs. Combine or remove one to add another." in response.content.decode()
    assert not CostLine.objects.exists()
    assert client.post(_section(app, "costs"), _cost_rows(20)).status_code == 302
    assert CostLine.objects.count() == 20


@pytest.mark.parametrize(("prefix", "rows"), [("partners", _partner_rows), ("costs", _cost_rows)])
def test_a_huge_total_forms_with_few_rows_is_refused_without_building_the_forms(client, prefix, rows):
    app = _draft_client(client, organisation_sector=Sector.NHS)
    response = client.post(_section(app, prefix), {**rows(1), f"{prefix}-TOTAL_FORMS": "100000"})
    assert response.status_code == 200 and "You can " in response.content.decode()
    assert len(response.context["formset"].forms) <= 20
    assert not app.partners.exists() and not app.cost_lines.exists()


def test_rows_marked_for_removal_do_not_count_against_the_limit(client):
    app = _draft_client(client, organisation_sector=Sector.NHS)
    data = _partner_rows(10) | {"partners-9-DELETE": "on"}
    assert client.post(_section(app, "partners"), data).status_code == 302
    assert app.partners.count() == 9


@pytest.mark.parametrize("build", [sections.partner_formset, sections.cost_formset])
def test_the_application_formsets_validate_their_maximum(build):
    formset = build(application())
    assert formset.validate_max and formset.absolute_max == formset.max_num
    assert (
        "too_many_forms" in formset.error_messages and "Please submit" not in formset.error_messages["too_many_forms"]
    )


FORMSET_FACTORIES = {"formset_factory", "modelformset_factory", "inlineformset_factory"}


def test_every_formset_in_the_code_validates_its_maximum_on_the_server():
    """A formset made without max_num and validate_max=True fails here: the page's limit is not a bound."""
    found, unbounded = [], []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in FORMSET_FACTORIES:
                    continue
                keywords = {k.arg: k.value for k in node.keywords}
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.append(where)
                validate = keywords.get("validate_max")
                if "max_num" not in keywords or not (isinstance(validate, ast.Constant) and validate.value is True):
                    unbounded.append(where)
    assert len(found) >= 2  # the partner and cost formsets, at least
    assert unbounded == []


# --- Signatory requests: emails to addresses the applicant typed ---------------------------------------


def _ask(client, app, n, kind="partner_letter"):
    return client.post(
        f"/awards/{app.call.slug}/apply/documents/ask/{kind}/",
        {f"{kind}-signatory_name": "Buy cheap watches now", f"{kind}-signatory_email": f"stranger{n}@example.net"},
    )


def test_the_issue_input_forty_signatories_in_seconds_send_six_emails(client, settings):
    app = _draft_client(client)
    responses = [_ask(client, app, n, kind=("partner_letter", "employer_statement")[n % 2]) for n in range(40)]
    assert [r.status_code for r in responses[:6]] == [302] * 6
    assert {r.status_code for r in responses[6:]} == {400}
    content = responses[-1].content.decode()
    assert "You have asked for 6 letters for this application in the last 24 hours" in content
    assert 'value="stranger39@example.net"' in content  # what they typed is kept
    assert OutboundEmail.objects.filter(to__startswith="stranger").count() == 6
    assert SignatoryRequest.objects.count() == 6


def test_signatory_requests_per_application_are_capped_over_days(client, settings):
    settings.AWARDS_SIGNATORY_REQUESTS_PER_APPLICATION = 8
    app = _draft_client(client)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert all(_ask(client, app, n).status_code == 302 for n in range(6))
    with time_machine.travel(start + timedelta(days=1, minutes=1), tick=False):
        assert all(_ask(client, app, n).status_code == 302 for n in range(6, 8))
        response = _ask(client, app, 8)
    assert response.status_code == 400
    assert "You have asked for 8 letters for this application, which is the most we allow" in response.content.decode()
    assert SignatoryRequest.objects.count() == 8


def test_signatory_requests_per_applicant_are_capped_across_applications(client, settings):
    settings.AWARDS_SIGNATORY_REQUESTS_PER_USER_DAY = 4
    applicant = person(sector=Sector.NHS)
    first, second = application(applicant=applicant), application(applicant=applicant, call=AwardCallFactory())
    client.force_login(applicant)
    assert all(_ask(client, first, n).status_code == 302 for n in range(3))
    assert _ask(client, second, 3).status_code == 302
    response = _ask(client, second, 4)
    assert response.status_code == 400
    assert "You have asked for 4 letters in the last 24 hours across your applications" in response.content.decode()
    assert OutboundEmail.objects.filter(to__startswith="stranger").count() == 4


def test_the_signatory_service_refuses_past_the_limit_whoever_calls_it(settings):
    from awards import services

    settings.AWARDS_SIGNATORY_REQUESTS_PER_APPLICATION_DAY = 2
    app = application()
    for n in range(2):
        services.signatory_request_create(
            application=app, user=app.applicant, kind="partner_letter", name="A", email=f"a{n}@example.org"
        )
    with pytest.raises(services.ApplicationError, match="You have asked for 2 letters"):
        services.signatory_request_create(
            application=app, user=app.applicant, kind="employer_statement", name="A", email="b@example.org"
        )


# --- Other things a person can make the portal keep or send --------------------------------------------


def test_abuse_reports_stop_at_the_daily_cap_with_a_clear_message(client, settings):
    person(is_staff=True, is_superuser=True)
    reporter = member()
    people = [member() for _ in range(settings.NETWORK_DAILY_REPORT_CAP + 1)]
    client.force_login(reporter)
    for other in people[:-1]:
        assert client.post(f"/network/people/{other.pk}/report/", {"reason": "Spam"}).status_code == 302
    emails = OutboundEmail.objects.count()
    response = client.post(f"/network/people/{people[-1].pk}/report/", {"reason": "Spam again"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "You have sent 5 reports in the last 24 hours, which is the most we allow" in content
    assert "Spam again" in content  # kept in the box
    assert AbuseReport.objects.count() == 5 and OutboundEmail.objects.count() == emails


def test_abuse_report_cap_counts_reports_of_the_same_person_too(settings):
    from hubs.network import services

    settings.NETWORK_DAILY_REPORT_CAP = 2
    reporter, other = member(), member()
    for n in range(2):  # different words each time: the same words again are a repeat, not a new report
        services.abuse_report_create(reporter=reporter, reported=other, reason=f"Rude, time {n + 1}")
    with pytest.raises(services.NetworkError, match="You have sent 2 reports"):
        services.abuse_report_create(reporter=reporter, reported=other, reason="Rude, time 3")
    later = timezone.now() + timedelta(days=1, minutes=1)
    services.abuse_report_create(reporter=reporter, reported=other, reason="Rude, time 3", now=later)
    assert AbuseReport.objects.count() == 3


def test_notify_me_keeps_one_request_however_often_it_is_pressed(client, user):
    client.force_login(user)
    for _ in range(5):
        assert client.post("/awards/notify/").status_code == 302
    assert CallOpenNoticeRequest.objects.filter(user=user).count() == 1
    assert not OutboundEmail.objects.exists()


def test_connection_request_messages_are_bounded(client):
    sender, other = member(), member()
    client.force_login(sender)
    response = client.post(f"/network/people/{other.pk}/connect/", {"message": "x" * 501})
    assert response.status_code in (200, 400)
    assert "500 characters" in response.content.decode()
    assert not ConnectionRequest.objects.exists() and not OutboundEmail.objects.exists()


def test_following_a_hub_again_keeps_one_follow(client, user):
    hub = HubFactory()
    client.force_login(user)
    for _ in range(3):
        client.post(f"/hubs/{hub.slug}/follow/")
    assert HubFollow.objects.filter(user=user, hub=hub).count() == 1


@pytest.mark.parametrize("field", ["dietary_requirements", "access_requirements"])
def test_booking_free_text_is_bounded(client, user, field):
    event = EventFactory()
    client.force_login(user)
    response = client.post(f"/events/{event.slug}/book/", {field: "x" * 501})
    assert response.status_code == 200 and "500 characters" in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.parametrize(("field", "limit"), [("bio", 600), ("full_name", 150), ("organisation", 200)])
def test_profile_text_is_bounded(client, user, field, limit):
    client.force_login(user)
    data = {"full_name": "A", "organisation": "B", "job_title": "C", "sector": "nhs", "region": "wales"}
    response = client.post("/accounts/profile/", {**data, field: "x" * (limit + 1)})
    assert response.status_code == 200 and f"{limit} characters" in response.content.decode()
    assert len(getattr(Profile.objects.get(user=user), field)) <= limit


def test_uploading_again_replaces_the_document_so_each_kind_is_kept_once(
    client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path, "base_url": None}},
    }
    app = _draft_client(client)
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):  # the old file is deleted after commit
            assert client.post(_section(app, "documents"), {"cv": pdf_upload()}).status_code == 302
    assert Document.objects.filter(application=app).count() == 1
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1  # the replaced files are deleted


def test_an_account_has_at_most_two_email_addresses(client, user):
    from allauth.account.models import EmailAddress

    client.force_login(user)
    client.post("/accounts/email/", {"email": "second@example.org", "action_add": ""})
    response = client.post("/accounts/email/", {"email": "third@example.org", "action_add": ""})
    assert response.status_code == 200  # the page, without the add form: nothing more can be added
    assert 'name="action_add"' not in response.content.decode()
    assert EmailAddress.objects.filter(user=user).count() == 2
    assert not OutboundEmail.objects.filter(to="third@example.org").exists()
    assert OutboundEmail.objects.filter(to="second@example.org").count() == 1


def test_email_management_is_rate_limited_per_day():
    assert "20/d/user" in django_settings.ACCOUNT_RATE_LIMITS["manage_email"]
    assert django_settings.ACCOUNT_RATE_LIMITS["awards_stash"] == "10/h/ip,30/d/ip"


# --- The documented table ------------------------------------------------------------------------------


def _bounds_table() -> list[list[str]]:
    text = (ROOT / "docs" / "security.md").read_text()
    section = text.split("## Bounds", 1)[1].split("\n## ", 1)[0]
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|") and not line.startswith("| ---") and not line.startswith("| what")
    ]


def test_docs_list_every_bound_with_its_limit_and_message():
    """Written out by hand: a bound added to the code and not to docs/security.md fails here."""
    rows = {row[0]: row for row in _bounds_table()}
    expected = {
        "form fields of one request": "2 MB",
        "form kept while signed out (stash)": "200 KB",
        "stashes per browser session": "3",
        "stashes per IP address": "10 an hour, 30 a day",
        "application free-text answers": "3,000",
        "cost justification": "1,000",
        "partner organisations": "10",
        "cost lines": "20",
        "signatory requests per application": "6 in 24 hours, 20 in all",
        "signatory requests per applicant": "10 in 24 hours",
        "abuse reports": "5 in 24 hours",
        "connection requests": "10 in 24 hours",
        "connection request message": "500 characters",
        "abuse report reason": "2,000 characters",
        "booking requirements": "500 characters",
        "profile text": "600 characters",
        "email addresses per account": "2",
        "documents": "10 MB",
        "award notice requests": "1",
        "hub follows": "1",
    }
    for what, limit in expected.items():
        assert what in rows, f"docs/security.md Bounds table has no row {what!r}"
        assert limit in rows[what][1], (what, rows[what][1])
        assert len(rows[what]) == 3 and rows[what][2], f"{what!r} needs its message"


def test_docs_messages_match_the_code():
    """The messages in the table are the ones the code shows (spot-checked on the ones tests above see)."""
    table = " ".join(" ".join(row) for row in _bounds_table())
    for message in (
        "You can add up to 10 partner organisations",
        "You can list up to 20 costs",
        "What you sent is too large",
        "larger than the 200 KB we can keep",
        "You have asked for 6 letters for this application in the last 24 hours",
        "You have sent 5 reports in the last 24 hours",
    ):
        assert message in table, message
    assert "Use 3000 characters or fewer" in table
