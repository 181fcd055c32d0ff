"""Random and hostile data posted to every form through its real view: never a 500, never a half-saved row.

Each test posts what hypothesis makes up (huge strings, NUL bytes, unicode, HTML and script, SQL-ish text,
negative and huge numbers, wrong types, lists where one value is expected, missing and extra fields) and
checks the view's promise: a rejected post changes nothing in the database; an accepted one saves a whole,
valid row. `test_every_form_is_fuzzed` fails when a form class is added without a fuzz test here.
"""

import importlib
import inspect

import pytest
from django import forms
from django.core.cache import cache
from django.forms.models import model_to_dict
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awards.models import Application, Document, SignatoryRequest
from crossector.core.models import User
from events.models import Booking
from hubs.network.models import AbuseReport, ConnectionRequest
from tests.awards.factories import application
from tests.conftest import login_with_mfa
from tests.events.factories import EventFactory
from tests.network.factories import connection_request, member

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "x" * 100_000,
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE awards_application; --",
    "' OR '1'='1",
    "-1",
    "0",
    "-99999999999999999999",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "Infinity",
    "3.14159",
    "2024-02-30",
    "0000-00-00",
    "9999-12-31",
    "yes",
    "on",
    "true",
    "../../etc/passwd",
    "\u202eevil",
    "😀" * 50,
    "Ω≈ç√∫˜µ≤≥÷",
    "%00",
    "{{ 7*7 }}",
    "nhs",
    "wales",
    "cv",
]
text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
value = st.one_of(st.sampled_from(HOSTILE), text, st.integers().map(str))
values = st.one_of(value, st.lists(value, min_size=1, max_size=3))


def form_data(*fields: str):
    """Some of the form's fields (others missing), plus stray ones, each a hostile value or a list of them."""
    keys = st.sampled_from([*fields, "extra", "id", "pk", "user", "status", "applicant", "reference"])
    return st.dictionaries(keys, values, max_size=len(fields) + 3)


def _no_500(response):
    assert response.status_code < 500, response.status_code


# --- Events ---------------------------------------------------------------------------------------


def test_booking_form(signed_in_client, user):
    event = EventFactory(capacity=1000)

    @FUZZ
    @given(data=form_data("dietary_requirements", "access_requirements", "attendee_list_consent"))
    def run(data):
        Booking.objects.filter(user=user).delete()
        response = signed_in_client.post(f"/events/{event.slug}/book/", data)
        _no_500(response)
        bookings = Booking.objects.filter(event=event, user=user)
        if response.status_code == 302:
            booking = bookings.get()
            assert "\x00" not in booking.dietary_requirements + booking.access_requirements
            assert len(booking.dietary_requirements) <= Booking._meta.get_field("dietary_requirements").max_length
        else:
            assert not bookings.exists()

    run()


@FUZZ
@given(data=form_data("when", "hub", "area", "format", "month", "page"))
def test_event_filter_form(client, db, data):
    _no_500(client.get("/events/", data))


@FUZZ
@given(data=form_data("q", "booking"))
def test_check_in_search_and_check_in(client, staff_user, data):
    login_with_mfa(client, staff_user)
    event = EventFactory()
    _no_500(client.get(f"/events/{event.slug}/check-in/", data))
    _no_500(client.post(f"/events/{event.slug}/check-in/", data))
    assert not Booking.objects.filter(event=event, attended_at__isnull=False).exists()


@FUZZ
@given(data=form_data("subject", "message", "include_waiting"))
def test_attendee_email_form_in_the_admin(client, staff_user, data):
    from crossector.core.models import OutboundEmail

    login_with_mfa(client, staff_user)
    event = EventFactory()
    before = OutboundEmail.objects.count()
    post = {**data, "action": "email_attendees", "_selected_action": [event.pk], "send": "1"}
    response = client.post("/admin/events/event/", post)
    _no_500(response)
    if response.status_code != 302:
        assert OutboundEmail.objects.count() == before


# --- Network --------------------------------------------------------------------------------------


@FUZZ
@given(data=form_data("q", "sector", "region", "areas", "open_to", "page"))
def test_directory_filter_form(client, data):
    client.force_login(member())
    _no_500(client.get("/network/", data))


@FUZZ
@given(data=form_data("message"))
def test_connection_request_form(client, data):
    sender, recipient = member(), member()
    client.force_login(sender)
    response = client.post(f"/network/people/{recipient.pk}/connect/", data)
    _no_500(response)
    sent = ConnectionRequest.objects.filter(sender=sender)
    if response.status_code == 302:
        assert sent.get().message.strip()
    else:
        assert not sent.exists()


@FUZZ
@given(data=form_data("reason"))
def test_abuse_report_form(client, data):
    reporter, other = member(), member()
    connection_request(sender=other, recipient=reporter)
    client.force_login(reporter)
    response = client.post(f"/network/people/{other.pk}/report/", data)
    _no_500(response)
    assert AbuseReport.objects.filter(reporter=reporter).exists() == (response.status_code == 302)


# --- Accounts and profile -------------------------------------------------------------------------

PROFILE_FIELDS = (
    "full_name",
    "organisation",
    "job_title",
    "sector",
    "region",
    "interests",
    "bio",
    "directory_listed",
    "next",
)


@FUZZ
@given(data=form_data(*PROFILE_FIELDS))
def test_profile_form(signed_in_client, user, data):
    before = model_to_dict(user.profile)
    response = signed_in_client.post("/accounts/profile/", data)
    _no_500(response)
    user.profile.refresh_from_db()
    if response.status_code != 302:
        assert model_to_dict(user.profile) == before
    else:
        assert user.profile.is_complete
        assert response.headers["Location"].startswith("/")


@FUZZ
@given(data=form_data("email", "password1", "password2"))
def test_signup_form(client, db, data):
    cache.clear()  # the sign-up rate limit would otherwise stop the examples
    users = User.objects.count()
    response = client.post("/accounts/signup/", data)
    _no_500(response)
    if response.status_code != 302:
        assert User.objects.count() == users


@FUZZ
@given(data=form_data("login", "password", "remember"))
def test_login_form(client, user, data):
    cache.clear()
    response = client.post("/accounts/login/", data)
    _no_500(response)
    assert "_auth_user_id" not in client.session


@FUZZ
@given(data=form_data("email"))
def test_password_reset_form(client, db, data):
    cache.clear()
    _no_500(Client().post("/accounts/password/reset/", data))


@FUZZ
@given(data=form_data("code"))
def test_mfa_code_forms(client, staff_user, data):
    """The two-factor code prompt (PortalAuthenticateForm) after a password sign-in."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    cache.clear()
    if not staff_user.authenticator_set.exists():
        TOTP.activate(staff_user, generate_totp_secret())
    fresh = Client()
    fresh.post("/accounts/login/", {"login": staff_user.email, "password": "correct-horse-battery-staple"})
    response = fresh.post("/accounts/2fa/authenticate/", data)
    _no_500(response)
    assert "_auth_user_id" not in fresh.session


@FUZZ
@given(data=form_data("password", "confirm"))
def test_account_delete_form(client, user, data):
    """A wrong or hostile password never deletes the account."""
    cache.clear()
    client.force_login(user)
    response = client.post("/accounts/delete/", data)
    _no_500(response)
    assert User.objects.filter(pk=user.pk, is_active=True).exists()


# --- Awards ---------------------------------------------------------------------------------------


@FUZZ
@given(data=form_data("employed", "different_sector", "health_link", "employer_support"))
def test_eligibility_form(client, db, data):
    call = application().call
    _no_500(client.get(f"/awards/{call.slug}/", {**data, "employed": data.get("employed", "yes")}))


def _snapshot(app: Application) -> tuple:
    app.refresh_from_db()
    return (
        {k: v for k, v in model_to_dict(app).items() if k != "priority_areas"},
        sorted(app.priority_areas.values_list("pk", flat=True)),
        list(app.partners.values_list("name", "sector", "country", "contact_name", "contact_email")),
        list(app.cost_lines.values_list("category", "amount", "justification")),
    )


SECTIONS = {
    "you": ("organisation", "organisation_sector", "role", "discipline", "career_stage", "region"),
    "proposal": ("title", "summary", "aims", "why_now", "benefits", "lasting_links", "priority_areas"),
    "partners": (
        "partners-TOTAL_FORMS",
        "partners-INITIAL_FORMS",
        "partners-0-name",
        "partners-0-sector",
        "partners-0-country",
        "partners-0-contact_email",
        "partners-0-is_health_related",
        "partners-0-DELETE",
    ),
    "costs": (
        "start_date_day",
        "start_date_month",
        "start_date_year",
        "duration_months",
        "fte_percent",
        "costs-TOTAL_FORMS",
        "costs-INITIAL_FORMS",
        "costs-0-category",
        "costs-0-amount",
        "costs-0-justification",
        "costs-0-DELETE",
    ),
}


@pytest.mark.parametrize("section", list(SECTIONS))
def test_application_section_forms(client, user, section):
    """YouForm, PartnerForm (formset), ProposalForm, TimingForm and CostLineForm (formset)."""
    app = application(applicant=user, title="Kept title", organisation="Kept organisation")
    client.force_login(user)

    @FUZZ
    @given(data=form_data(*SECTIONS[section]))
    def run(data):
        before = _snapshot(app)
        response = client.post(f"/awards/{app.call.slug}/apply/{section}/", data)
        _no_500(response)
        if response.status_code != 302:
            assert _snapshot(app) == before

    run()


def test_declarations_form(client, user):
    """Valid declarations are saved even when submitting then fails; the draft itself is never submitted."""
    app = application(applicant=user)
    client.force_login(user)

    @FUZZ
    @given(data=form_data("declare_accurate", "declare_employer_agrees", "declare_data_use", "submit"))
    def run(data):
        before = _snapshot(app)
        response = client.post(f"/awards/{app.call.slug}/apply/check/", data)
        _no_500(response)
        after = _snapshot(app)
        assert after[0]["status"] == Application.Status.DRAFT  # an incomplete draft is never submitted
        changed = {k for k in before[0] if before[0][k] != after[0][k]} - {"updated_at"}
        assert changed <= {"declare_accurate", "declare_employer_agrees", "declare_data_use"}
        assert after[1:] == before[1:]

    run()


def test_signatory_form(client, user):
    app = application(applicant=user)
    client.force_login(user)

    @FUZZ
    @given(data=form_data("employer_statement-signatory_name", "employer_statement-signatory_email"))
    def run(data):
        before = SignatoryRequest.objects.filter(application=app).count()
        response = client.post(f"/awards/{app.call.slug}/apply/documents/ask/employer_statement/", data)
        _no_500(response)
        created = SignatoryRequest.objects.filter(application=app).count() - before
        assert created == (1 if response.status_code == 302 else 0)

    run()


def test_documents_form(client, user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    app = application(applicant=user)
    client.force_login(user)

    @FUZZ
    @given(
        contents=st.dictionaries(
            st.sampled_from(["cv", "partner_letter", "employer_statement", "other"]),
            st.one_of(st.binary(max_size=2048), st.sampled_from([b"%PDF-", b"%PDF-1.4\n%%EOF", b"\x00" * 64])),
            max_size=3,
        ),
        name=st.sampled_from(["cv.pdf", "../../x.pdf", "a\x00b.pdf", "\u202ecod.exe", "x" * 400, ""]),
    )
    def run(contents, name):
        files = {k: SimpleUploadedFile(name or "f", v, content_type="application/pdf") for k, v in contents.items()}
        response = client.post(f"/awards/{app.call.slug}/apply/documents/", files)
        _no_500(response)
        assert not Document.objects.filter(application=app).exists()  # none of these is a complete PDF

    run()


# --- Every form is covered ------------------------------------------------------------------------

FORM_MODULES = [
    "events.forms",
    "awards.forms.calls",
    "awards.forms.sections",
    "hubs.network.forms",
    "crossector.core.forms",
    "crossector.core.mfa_forms",
]
FUZZED = {
    "BookingForm": test_booking_form,
    "EventFilterForm": test_event_filter_form,
    "CheckInSearchForm": test_check_in_search_and_check_in,
    "AttendeeEmailForm": test_attendee_email_form_in_the_admin,
    "DirectoryFilterForm": test_directory_filter_form,
    "ConnectionRequestForm": test_connection_request_form,
    "AbuseReportForm": test_abuse_report_form,
    "ProfileForm": test_profile_form,
    "EligibilityForm": test_eligibility_form,
    "YouForm": test_application_section_forms,
    "PartnerForm": test_application_section_forms,
    "ProposalForm": test_application_section_forms,
    "TimingForm": test_application_section_forms,
    "CostLineForm": test_application_section_forms,
    "DocumentsForm": test_documents_form,
    "SignatoryForm": test_signatory_form,
    "DeclarationsForm": test_declarations_form,
    "PortalAuthenticateForm": test_mfa_code_forms,
    "AccountDeleteForm": test_account_delete_form,
    # allauth's own forms behind the portal's sign-up, sign-in and reset pages
    "SignupForm": test_signup_form,
    "LoginForm": test_login_form,
    "ResetPasswordForm": test_password_reset_form,
}
# Forms not fuzzed here, each with the reason.
NOT_FUZZED = {
    "PortalReauthenticateForm": "the same code field and clean() as PortalAuthenticateForm, which is fuzzed",
    "PortalActivateTOTPForm": "allauth's activation form; its code field is the one fuzzed above",
}


def _form_classes() -> set[str]:
    found = set()
    for name in FORM_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        for attr, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, forms.BaseForm)
                and obj.__module__ == module.__name__
                and not attr.startswith("_")
            ):
                found.add(attr)
    return found


def test_every_form_is_fuzzed():
    classes = _form_classes()
    missing = classes - set(FUZZED) - set(NOT_FUZZED)
    assert missing == set(), f"Add a fuzz test (or a reason in NOT_FUZZED) for: {sorted(missing)}"
    assert len(classes & set(FUZZED)) >= 17
