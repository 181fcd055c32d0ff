"""Every portal form, walked: "(optional)" labels said one way, no "This field is required.", a word limit
and counter on every long answer, and money typed as people type it (portal and admin).

The label rules cover the account forms too (sign-in, sign-up, email addresses, passwords, two-factor codes)
and the reviewers' and staff's forms; no page marks a required field with an asterisk ("Full name*")."""

import importlib
import inspect
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory

from awards.forms import calls as call_forms
from awards.forms import sections
from awards.review import forms as review_forms
from crossector.core import account_forms, mfa_forms, signup
from crossector.core import forms as core_forms
from crossector.core.labels import OPTIONAL, is_optional
from crossector.core.money import MoneyFormField
from crossector.core.words import word_limit_of
from events import forms as event_forms
from hubs.network import forms as network_forms
from tests.awards.factories import application
from tests.factories import person

pytestmark = pytest.mark.django_db

PORTAL_FORM_MODULES = (sections, call_forms, event_forms, network_forms, core_forms)
# Forms whose labels follow the same rules: allauth's (through ACCOUNT_FORMS and MFA_FORMS) and the reviewers'.
LABELLED_FORM_MODULES = (account_forms, signup, mfa_forms, review_forms)
# Filters and searches: every box is a filter, none is a question, so none is marked "(optional)".
FILTERS = {"EventFilterForm", "CheckInSearchForm", "DirectoryFilterForm"}
DJANGO_DEFAULT = "This field is required."


def portal_forms(data=None):
    """One instance of every portal form, bound to `data` (None: unbound), with the rows of both formsets."""
    app = application()
    user = app.applicant
    request = RequestFactory().post("/")
    request.user = user
    made = [
        sections.YouForm(data, instance=app),
        sections.PartnerForm(data, employer_sector="nhs"),
        sections.ProposalForm(data, instance=app),
        sections.TimingForm(data, instance=app),
        sections.CostLineForm(data),
        sections.DocumentsForm(data),
        sections.SignatoryForm(data),
        sections.DeclarationsForm(data, instance=app),
        call_forms.EligibilityForm(data),
        event_forms.BookingForm(data),
        event_forms.AttendeeEmailForm(data),
        network_forms.ConnectionRequestForm(data),
        network_forms.AbuseReportForm(data),
        core_forms.ProfileForm(data, instance=user.profile),
        core_forms.AccountDeleteForm(data, request=request),
    ]
    made += list(sections.partner_formset(app, add=True).forms) + list(sections.cost_formset(app, add=True).forms)
    return made


def account_and_staff_forms(data=None):
    """One instance of every account, two-factor, reviewer and staff form, bound to `data` (None: unbound)."""
    from allauth.core import context

    from awards.admin.applications import BulkNoteForm, TransitionForm
    from awards.review.services import criteria_ensure

    user = person()
    request = RequestFactory().post("/")
    request.user = user
    request.session = {}
    app = application()
    criteria = criteria_ensure(call=app.call)
    with context.request_context(request):
        return [
            account_forms.PortalLoginForm(data, request=request),
            signup.PortalSignupForm(data),
            account_forms.PortalAddEmailForm(data=data, user=user),
            account_forms.PortalChangePasswordForm(data=data, user=user),
            account_forms.PortalSetPasswordForm(data=data, user=user),
            account_forms.PortalResetPasswordForm(data),
            account_forms.PortalResetPasswordKeyForm(data, user=user, temp_key="key"),
            account_forms.PortalReauthenticateForm(data, user=user),
            mfa_forms.PortalAuthenticateForm(data, user=user),
            mfa_forms.PortalReauthenticateForm(data, user=user),
            mfa_forms.PortalActivateTOTPForm(data, user=user),
            review_forms.ReviewForm(data, criteria=criteria),
            review_forms.ConflictForm(data),
            review_forms.AssignReviewersForm(data),
            review_forms.AssignOneReviewerForm(data, application=app),
            TransitionForm(data),
            BulkNoteForm(data),
        ]


def labelled_forms(data=None):
    return portal_forms(data) + account_and_staff_forms(data)


def test_the_walk_covers_every_form_class_in_the_portal_modules():
    declared = {
        name
        for module in PORTAL_FORM_MODULES + LABELLED_FORM_MODULES
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__
    }
    walked = {type(f).__name__ for f in labelled_forms()}
    assert declared - FILTERS - walked == set(), "add the new form to portal_forms() or account_and_staff_forms()"


def test_every_account_page_uses_the_portal_s_labelled_form():
    """allauth builds its forms from ACCOUNT_FORMS / MFA_FORMS: each page with boxes to fill gets ours."""
    from allauth.account import app_settings as account_settings
    from allauth.mfa import app_settings as mfa_settings
    from allauth.utils import get_form_class

    from crossector.core.labels import LabelledFormMixin

    pages = [
        (
            account_settings.FORMS,
            (
                "login",
                "signup",
                "add_email",
                "change_password",
                "set_password",
                "reset_password",
                "reset_password_from_key",
                "reauthenticate",
            ),
        ),
        (mfa_settings.FORMS, ("authenticate", "reauthenticate", "activate_totp")),
    ]
    for setting, keys in pages:
        for key in keys:
            form_class = get_form_class(setting, key, None)
            assert form_class is not None and issubclass(form_class, LabelledFormMixin), key


def test_optional_fields_and_only_they_end_their_label_with_optional():
    checked = 0
    for form in labelled_forms():
        for name, field in form.fields.items():
            if field.widget.is_hidden or name == "DELETE":
                continue
            label = str(field.label)
            assert ("optional" in label.lower()) == label.endswith(OPTIONAL), f"{type(form).__name__}.{name}: {label}"
            assert label.endswith(OPTIONAL) == is_optional(form, name), f"{type(form).__name__}.{name}: {label}"
            assert "optional" not in str(field.help_text).lower(), f"{type(form).__name__}.{name}: say it in the label"
            checked += 1
    assert checked > 60
    # The example fields the issue names, each way round.
    labels = {f"{type(f).__name__}.{n}": str(fl.label) for f in labelled_forms() for n, fl in f.fields.items()}
    assert labels["PartnerForm.contact_email"] == "Contact email (optional)"
    assert labels["PartnerForm.name"] == "Organisation name"
    assert labels["BookingForm.dietary_requirements"] == "Dietary requirements (optional)"
    assert labels["ProfileForm.bio"] == "Short bio (optional)"
    assert labels["ProfileForm.organisation"] == "Organisation"
    assert labels["ReviewForm.comments"] == "Comments (optional)"
    assert labels["ReviewForm.recommendation"] == "Your recommendation"  # needed to submit, though a draft saves
    assert labels["AssignOneReviewerForm.note"] == "Note for the history (optional)"
    assert labels["PortalLoginForm.password"] == "Password"


@pytest.mark.parametrize("blank", [{}, {"anything": ""}])
def test_no_portal_form_says_this_field_is_required(blank):
    said = 0
    for form in labelled_forms(data=blank):
        form.is_valid()
        for name, errors in form.errors.items():
            for error in errors:
                assert error != DJANGO_DEFAULT, f"{type(form).__name__}.{name}"
                said += 1
        for name, field in form.fields.items():
            if name == "DELETE":  # a formset's remove box: never required
                continue
            assert str(field.error_messages.get("required")) != DJANGO_DEFAULT, f"{type(form).__name__}.{name}"
    assert said >= 20  # required fields did complain, each in its own words


def test_required_messages_say_what_to_enter():
    form = network_forms.AbuseReportForm({})
    assert form.errors["reason"] == ["Tell us what happened so staff can look into it."]
    form = sections.SignatoryForm({})
    assert form.errors["signatory_name"] == ["Enter the name of the person who signs"]
    form = call_forms.EligibilityForm({})
    assert form.errors["employed"][0].startswith("Choose are you employed")


def test_every_long_answer_has_a_word_limit_checked_on_the_server_and_counted_on_the_page():
    long_answers = 0
    for form in portal_forms():
        for name, field in form.fields.items():
            if not isinstance(field.widget, forms.Textarea):
                continue
            limit = word_limit_of(field)
            where = f"{type(form).__name__}.{name}"
            assert limit, f"{where} has no word limit"
            assert field.widget.attrs.get("data-word-limit") == str(limit), where
            assert f"Up to {limit} words." in str(field.help_text), where
            long_answers += 1
            # One word over the limit is refused with the count; at the limit is fine.
            at, over = " ".join(["word"] * limit), " ".join(["word"] * (limit + 1))
            assert field.clean(at) == at
            with pytest.raises(forms.ValidationError, match=rf"Use {limit} words or fewer \(you have {limit + 1}\)"):
                field.clean(over)
    assert long_answers >= 10  # five proposal answers, justification, access needs, message, report, bio, ...


def test_aims_has_a_word_limit():
    app = application()
    form = sections.ProposalForm({"aims": " ".join(["a"] * 3000)}, instance=app)
    assert not form.is_valid()
    assert form.errors["aims"][0].startswith("Use 500 words or fewer (you have 3000)")


# --- Money ---------------------------------------------------------------------------------------------------

ACCEPTED = {"72,000": Decimal("72000"), "£72,000.50": Decimal("72000.50"), " 72000 ": Decimal("72000")}
REFUSED = {"72k": "numbers only", "-5": "without a minus sign", "72,00": "in pounds, for example", "1.234": "pence"}


def _admin_money_fields():
    superuser = person(is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    found = []
    for model, model_admin in admin.site._registry.items():
        form_classes = [model_admin.get_form(request)]
        for inline in model_admin.get_inline_instances(request):
            form_classes.append(inline.get_formset(request).form)
        for form_class in form_classes:
            for name, field in form_class.base_fields.items():
                if isinstance(field, forms.DecimalField) and "£" in str(field.label or ""):
                    found.append((f"{model.__name__} admin.{name}", field))  # a money field left as a decimal
                if isinstance(field, MoneyFormField):
                    found.append((f"{model.__name__} admin.{name}", field))
    transition = importlib.import_module("awards.admin.applications").TransitionForm()
    found.append(("TransitionForm.awarded_amount", transition.fields["awarded_amount"]))
    return found


def _money_fields():
    portal = [
        (f"{type(f).__name__}.{n}", fl)
        for f in portal_forms()
        for n, fl in f.fields.items()
        if isinstance(fl, MoneyFormField | forms.DecimalField)
    ]
    return portal + _admin_money_fields()


def test_every_money_field_in_portal_and_admin_accepts_what_people_type():
    fields = _money_fields()
    names = {name for name, _ in fields}
    assert {"CostLineForm.amount", "AwardCall admin.max_award", "TransitionForm.awarded_amount"} <= names
    for where, field in fields:
        assert isinstance(field, MoneyFormField), f"{where} is a plain number field"
        for typed, amount in ACCEPTED.items():
            assert field.clean(typed) == amount, f"{where} refused {typed!r}"


def test_every_money_field_refuses_bad_amounts_with_a_specific_message():
    for where, field in _money_fields():
        for typed, said in REFUSED.items():
            with pytest.raises(forms.ValidationError) as refused:
                field.clean(typed)
            message = refused.value.messages[0]
            assert said in message and "Enter a number" not in message, f"{where}: {typed!r} -> {message}"


def test_money_is_shown_one_way_in_forms_and_pages():
    from awards.templatetags.awards_tags import pounds

    assert pounds(Decimal("85000.00")) == "£85,000"
    assert pounds(Decimal("85000.5")) == "£85,000.50"
    assert pounds(None) == ""
    widget = sections.CostLineForm(initial={"amount": Decimal("72000.00")})["amount"]
    assert 'value="72,000"' in str(widget)


# --- Example dates -------------------------------------------------------------------------------------------


def test_every_example_date_a_form_shows_is_one_the_form_accepts():
    """A hint's example is what people copy: a start date "For example, 27 3 2025" for a call closing in 2027
    would be refused. Each date field shows an example its own form's rules accept, with a day above 12."""
    from crossector.core.dates import DatePartsField

    checked = 0
    for form in portal_forms():
        for name, field in form.fields.items():
            if not isinstance(field, DatePartsField):
                continue
            where = f"{type(form).__name__}.{name}"
            example = field.example
            assert example is not None and example.day > 12, where
            typed = dict(zip(field.widget.widgets_names, field.example_text.split(), strict=True))
            data = {f"{name}{suffix}": part for suffix, part in typed.items()}
            bound = type(form)(data, instance=form.instance) if hasattr(form, "instance") else type(form)(data)
            bound.is_valid()
            assert name not in bound.errors, f"{where}: the example {field.example_text} is refused: {bound.errors}"
            assert bound.cleaned_data[name] == example, where  # the boxes were read: the example was checked
            checked += 1
    assert checked >= 1


@pytest.mark.parametrize(
    ("today", "closes"),
    [("2027-01-01", "2027-01-11T16:00Z"), ("2027-11-01", "2027-11-30T16:00Z"), ("2027-12-01", "2027-12-31T23:30Z")],
)
def test_the_start_date_hint_and_messages_give_an_example_after_the_call_closes(client, today, closes):
    from datetime import datetime

    import time_machine

    from awards import rules
    from tests.awards.factories import AwardCallFactory

    with time_machine.travel(f"{today}T09:00Z", tick=False):
        call = AwardCallFactory(closes_at=datetime.fromisoformat(closes))
        app = application(call=call)
        example = sections.TimingForm(instance=app).fields["start_date"].example
        assert rules.start_date_problem(start=example, call=call) is None and example.day == 27
        typed = f"{example.day} {example.month} {example.year}"
        client.force_login(app.applicant)
        page = client.get(f"/awards/{call.slug}/apply/costs/").content.decode()
        assert f"For example, {typed}." in page and "27 3 2025" not in page
        bad = sections.TimingForm(
            {"start_date_day": "x", "start_date_month": "1", "start_date_year": "2027"}, instance=app
        )
        assert bad.errors["start_date"] == [f"Enter the start date using numbers, for example {typed}"]


# --- No asterisks --------------------------------------------------------------------------------------------

CRISPY_TEMPLATES = "crispy_bootstrap5/templates"
ASTERISKS = (
    '{% if field.field.required %}<span class="asteriskField">*</span>{% endif %}',
    '{% if field.field.required and not field|is_checkbox %}<span class="asteriskField">*</span>{% endif %}',
)
# A label (or legend) ending in "*": crispy's span, or an asterisk typed into a template.
ASTERISK_IN_LABEL = re.compile(r"asteriskField|\*\s*(</span>\s*)?</(label|legend)>")


def test_crispy_templates_are_overridden_without_the_asterisk_and_match_the_installed_package():
    """templates/bootstrap5/ holds the package's templates that draw the asterisk, minus the asterisk: if the
    package changes one (or adds one), this fails until the copy is refreshed."""
    import crispy_bootstrap5

    package = Path(crispy_bootstrap5.__file__).parent / "templates"
    ours = Path(settings.BASE_DIR) / "templates"
    drawn = [p for p in package.rglob("*.html") if "asteriskField" in p.read_text()]
    assert len(drawn) >= 5
    for original in drawn:
        relative = original.relative_to(package)
        copy = ours / relative
        assert copy.exists(), f"override {relative} without the asterisk"
        expected = original.read_text()
        for snippet in ASTERISKS:
            expected = expected.replace(snippet, "")
        assert copy.read_text().split("\n", 1)[1] == expected, f"{relative} differs from the package's"
    assert not [p for p in ours.rglob("*.html") if "asteriskField" in p.read_text()]


def test_the_asterisk_check_finds_each_form_of_it():
    assert ASTERISK_IN_LABEL.search('<label for="x">Full name<span class="asteriskField">*</span></label>')
    assert ASTERISK_IN_LABEL.search('<label for="x">Full name*</label>')
    assert ASTERISK_IN_LABEL.search("<legend>Sector *</legend>")
    assert not ASTERISK_IN_LABEL.search('<label for="x">Short bio (optional)</label>')


def test_no_form_page_marks_a_field_with_an_asterisk(client):
    """Sign-in, sign-up, reset, email addresses, password, profile, an application section and booking: every
    form page people fill in renders labels without an asterisk, and optional fields say "(optional)"."""
    from tests.events.factories import EventFactory

    app = application()
    event = EventFactory()
    anonymous = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
    signed_in = [
        "/accounts/profile/",
        "/accounts/email/",
        "/accounts/password/change/",
        f"/awards/{app.call.slug}/apply/you/",
        f"/awards/{app.call.slug}/apply/partners/",
        f"/events/{event.slug}/book/",
    ]
    pages = {}
    for url in anonymous:
        pages[url] = client.get(url)
    client.force_login(app.applicant)
    for url in signed_in:
        pages[url] = client.get(url)
    for url, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "<label" in html or "<legend" in html, url
        assert not ASTERISK_IN_LABEL.search(html), f"{url}: {ASTERISK_IN_LABEL.search(html)[0]}"
    assert "Short bio (optional)" in pages["/accounts/profile/"].content.decode()
    # Sign-in and sign-up forms are the portal's and say so without asterisks: "Email", "Password".
    login = pages["/accounts/login/"].content.decode()
    assert re.search(r">\s*Password\s*</label>", login)
