"""The text rule (crossector/core/text.py): what people type is made safe once, before it is stored.

By dimension: which characters (line breaks, controls, invisible and bidi formatting, blank look-alikes,
combining marks, very long text, and the good text that must survive: "Siân", Persian with a joiner, emoji),
which fields (every one-line and multi-line text field of every form the portal defines and every form the
admin builds: add, change, inline and changelist), and through the real pages (the profile, the admin).
`test_every_form_has_the_text_rule` fails when a form is added without the rule.
"""

import contextlib
import importlib
import pkgutil
import unicodedata

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from crossector.core.admin_site import PortalAdminSite
from crossector.core.models import PriorityArea
from crossector.core.text import (
    ONE_LINE_MAX_LENGTH,
    TextRuleMixin,
    header_safe,
    multi_line_clean,
    one_line_clean,
    text_rule_kind,
)
from tests.conftest import login_with_mfa
from tests.factories import person

pytestmark = pytest.mark.django_db

PROJECT_PACKAGES = ("crossector", "hubs", "events", "awards")
RULE_CODES = {"line_break", "control", "bidi", "invisible", "no_visible_text", "max_length"}

# (value, the error code the one-line rule gives it)
ONE_LINE_REFUSED = [
    ("Ada\nLovelace", "line_break"),
    ("Ada\r\nLovelace", "line_break"),
    ("Ada\rLovelace", "line_break"),
    ("Ada\vLovelace", "line_break"),
    ("Ada\x85Lovelace", "line_break"),  # NEL, a C1 line break
    ("Ada\u2028Lovelace", "line_break"),
    ("Ada\u2029Lovelace", "line_break"),
    ("Ada\tLovelace", "control"),
    ("Ada\x00Lovelace", "control"),
    ("Ada\x07", "control"),
    ("Ada\x1b[31m", "control"),
    ("Ada\x7f", "control"),
    ("Ada\x9b", "control"),  # C1 CSI
    ("Ada \u202eecalevoL", "bidi"),  # right-to-left override
    ("\u202aAda\u202c", "bidi"),
    ("\u202bAda", "bidi"),
    ("\u202dAda", "bidi"),
    ("\u2066Ada\u2069", "bidi"),
    ("\u2067Ada", "bidi"),
    ("\u2068Ada", "bidi"),
    ("Ada\u200b", "invisible"),  # zero-width space
    ("\ufeffAda", "invisible"),  # BOM
    ("Ad\u00ada", "invisible"),  # soft hyphen
    ("Ada\u2060", "invisible"),  # word joiner
    ("Ada\u200e", "invisible"),  # left-to-right mark
    ("Ada\U000e0041", "invisible"),  # tag character
    ("\u200d", "invisible"),  # a joiner alone
    ("\u200c\u200c\u200c", "invisible"),
    ("Ada \u200d Lovelace", "invisible"),  # a joiner between spaces joins nothing
    ("\u200b\u200b", "invisible"),  # only zero-width characters
    ("\u3164", "no_visible_text"),  # Hangul filler: a "letter" that draws nothing
    ("\u2800\u2800", "no_visible_text"),  # braille blank
    ("\u0301\u0308", "no_visible_text"),  # combining marks with nothing to combine with
    ("x" * (ONE_LINE_MAX_LENGTH + 1), "max_length"),
    ("X" + "\u0301" * 40, "combining"),  # "Zalgo": marks stacked over the lines around
    ("Ada" + "\u0336\u0337" * 5, "combining"),  # enclosing/strike marks count too
]

# (typed, stored)
ONE_LINE_KEPT = [
    ("Siân", "Siân"),
    ("Sia\u0302n", "Siân"),  # decomposed: NFC composes it
    ("Zoë O’Brien-Smith", "Zoë O’Brien-Smith"),
    ("  Ada   Lovelace  ", "Ada Lovelace"),
    ("Ada\u00a0Lovelace", "Ada Lovelace"),  # no-break space
    ("Ada\u3000Lovelace", "Ada Lovelace"),  # ideographic space
    ("محمد علي", "محمد علي"),
    ("می\u200cخواهم", "می\u200cخواهم"),  # Persian needs the zero-width non-joiner between letters
    ("क्\u200dष", "क्\u200dष"),  # Devanagari with a zero-width joiner
    ("👩\u200d⚕️ Dr Ng", "👩\u200d⚕️ Dr Ng"),  # emoji joined with ZWJ, variation selector kept
    ("ﬁnance ½ m²", "ﬁnance ½ m²"),  # NFC, not NFKC: what was typed on purpose stays
    ("李小龍", "李小龍"),
    ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),  # Vietnamese: stacked diacritics
    ("བོད་སྐད", "བོད་སྐད"),  # Tibetan: stacked vowel signs and subjoined letters
    ("X" + "\u0301" * 8, "X" + "\u0301" * 8),  # at the limit
    ("x" * ONE_LINE_MAX_LENGTH, "x" * ONE_LINE_MAX_LENGTH),
]


def _codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list}


@pytest.mark.parametrize(("value", "code"), ONE_LINE_REFUSED)
def test_one_line_rule_refuses_with_a_message_naming_the_problem(value, code):
    with pytest.raises(ValidationError) as caught:
        one_line_clean(value)
    assert code in _codes(caught.value)
    assert all(message.startswith(("Enter", "Remove")) for message in caught.value.messages)


@pytest.mark.parametrize(("typed", "stored"), ONE_LINE_KEPT)
def test_one_line_rule_keeps_real_names_normalised(typed, stored):
    assert one_line_clean(typed) == stored
    assert unicodedata.is_normalized("NFC", one_line_clean(typed))


def test_one_line_rule_names_the_character():
    with pytest.raises(ValidationError) as caught:
        one_line_clean("Ada \u202eecalevoL\u200b\t")
    text = " ".join(caught.value.messages)
    assert "U+202E" in text and "right-to-left override" in text
    assert "U+200B" in text and "U+0009, tab" in text


def test_empty_and_spaces_only_stay_empty_for_the_field_to_judge():
    assert one_line_clean("") == ""
    assert one_line_clean("   ") == ""


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Line one\x00", "control"),
        ("Line one\x1b[2J", "control"),
        ("Line one\x9b", "control"),
        ("Pay \u202e0001\u202c pounds", "bidi"),
        ("\u2066isolated\u2069", "bidi"),
        ("\u200b\u200b\n\u200b", "no_visible_text"),
        ("\u0301\n", "no_visible_text"),
        ("Fine start, then Z" + "\u0300" * 30, "combining"),
    ],
)
def test_multi_line_rule_refuses_controls_bidi_and_invisible_only(value, code):
    with pytest.raises(ValidationError) as caught:
        multi_line_clean(value)
    assert code in _codes(caught.value)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("First line\r\nSecond line\n\n\tIndented", "First line\r\nSecond line\n\n\tIndented"),
        ("One\u2028Two\u2029Three", "One\nTwo\nThree"),
        ("\ufeffPasted from a file", "Pasted from a file"),
        ("co\u00adoperation and emoji 👩\u200d⚕️", "co\u00adoperation and emoji 👩\u200d⚕️"),
        ("Sia\u0302n wrote this.", "Siân wrote this."),
    ],
)
def test_multi_line_rule_keeps_line_breaks_and_tabs(typed, stored):
    assert multi_line_clean(typed) == stored


@pytest.mark.parametrize(
    "value",
    ["Hello\nBcc: eve@example.org", "Hello\r\nBcc: eve@example.org", "Hello\x00\u2028\u202e\x85Bcc: eve@example.org"],
)
def test_header_safe_never_raises_and_leaves_one_line(value):
    safe = header_safe(value)
    assert safe.startswith("Hello") and safe.endswith("Bcc: eve@example.org")
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in safe)
    assert len(header_safe("x" * 500, max_length=250)) == 250


# --- Every form ---------------------------------------------------------------------------------------------


def _project_form_classes() -> list[type]:
    """Every Form and ModelForm class defined in the portal's own packages (tests and migrations aside)."""
    found = {}
    for package_name in PROJECT_PACKAGES:
        package = importlib.import_module(package_name)
        modules = [package_name] + [
            info.name
            for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}.")
            if ".migrations" not in info.name and ".management" not in info.name
        ]
        for name in modules:
            module = importlib.import_module(name)
            for obj in vars(module).values():
                if (
                    isinstance(obj, type)
                    and issubclass(obj, forms.BaseForm)
                    and obj.__module__ == module.__name__
                    and not obj.__name__.startswith("_")
                ):
                    found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[key] for key in sorted(found)]


def _request(user=None):
    request = RequestFactory().post("/")
    request.user = user or AnonymousUser()
    request.session = {}
    return request


def _form_builders(user):
    """How to make each form that needs more than `data`. A new form that needs more fails with a TypeError
    naming it: add its builder here."""
    from tests.awards.factories import application

    def with_allauth(cls, data):
        return cls(data=data, user=user)

    def timing(cls, data):
        return cls(data=data, instance=application(applicant=user))

    return {
        "AccountDeleteForm": lambda cls, data: cls(data=data, request=_request(user)),
        "AssignOneReviewerForm": lambda cls, data: cls(data=data, application=application(applicant=user)),
        "PortalAuthenticateForm": with_allauth,
        "PortalReauthenticateForm": with_allauth,
        "PortalActivateTOTPForm": with_allauth,
        "ReviewForm": lambda cls, data: cls(data=data, criteria=[]),
        "TimingForm": timing,
    }


def _admin_form_classes(user) -> list[tuple[str, type]]:
    """Every form the admin builds for every registered model: add, change, each inline and the changelist."""
    request = _request(user)
    found = []
    for model, model_admin in admin.site._registry.items():
        label = f"{model._meta.label}Admin"
        for obj, change in ((None, False), (model(), True)):
            try:
                form = model_admin.get_form(request, obj, change=change)
            except Exception as exc:  # noqa: BLE001 - named in the failure below
                raise AssertionError(f"{label}: could not build its form ({exc!r})") from exc
            found.append((f"{label} {'change' if change else 'add'} form", form))
            for inline in model_admin.get_inline_instances(request, obj):
                found.append((f"{label} inline {type(inline).__name__}", inline.get_formset(request, obj).form))
        found.append((f"{label} changelist form", model_admin.get_changelist_form(request)))
    return found


def _text_fields(form) -> dict[str, str]:
    return {name: kind for name, field in form.fields.items() if (kind := text_rule_kind(field))}


def _validate(form) -> None:
    # A third-party clean() (celery-beat's) may expect every field; the field errors checked here are
    # recorded before it runs.
    with contextlib.suppress(Exception):
        form.is_valid()


def _field_errors(form, name) -> set[str]:
    return {e.code for e in form.errors.as_data().get(name, [])}


def text_rule_gaps(named_forms) -> list[str]:
    """Each (form, field, value) where a text field lets a bad value through or refuses a good one.

    `named_forms` holds (name, make) where make(data) returns a bound form."""
    one_line_bad = ["Ada\nLovelace", "Ada \u202eecalevoL", "\u200b\u200b", "Ada\x00", "\u3164"]
    multi_line_bad = ["Line\x00one", "Pay \u202e0001\u202c pounds", "\u200b\u200b"]
    gaps = []
    for form_name, make in named_forms:
        fields = _text_fields(make({}))
        for name, kind in fields.items():
            for value in one_line_bad if kind == "one_line" else multi_line_bad:
                form = make({name: value})
                _validate(form)
                if not _field_errors(form, name) & RULE_CODES:
                    gaps.append(f"{form_name}.{name} ({kind}) let {value!r} through")
            form = make({name: "Sia\u0302n"})
            _validate(form)
            if _field_errors(form, name) & RULE_CODES:
                gaps.append(f"{form_name}.{name} ({kind}) refused 'Siân'")
            elif name in form.cleaned_data and form.cleaned_data[name] not in ("Siân", None):
                gaps.append(f"{form_name}.{name} ({kind}) stored {form.cleaned_data[name]!r} for 'Siân'")
    return gaps


@pytest.fixture
def staff(db):
    return person(is_staff=True, is_superuser=True)


def test_every_form_class_of_the_portal_uses_the_text_rule_mixin():
    classes = _project_form_classes()
    assert len(classes) >= 25, "the walk should find every form in crossector, hubs, events and awards"
    missing = [f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, TextRuleMixin)]
    assert missing == [], f"Add TextRuleMixin (crossector.core.text) first in the bases of: {missing}"


def test_every_form_has_the_text_rule(staff):
    from allauth.core import context

    with context.request_context(_request(staff)):  # allauth's code forms rate-limit per request
        _check_every_form(staff)


def _check_every_form(staff):
    builders = _form_builders(staff)
    named = []
    for cls in _project_form_classes():
        build = builders.get(cls.__name__, lambda cls, data: cls(data=data))
        named.append((f"{cls.__module__}.{cls.__qualname__}", lambda data, cls=cls, build=build: build(cls, data)))
    for name, form_class in _admin_form_classes(staff):
        named.append((name, lambda data, form_class=form_class: form_class(data=data)))
    checked = {name for name, make in named if _text_fields(make({}))}
    # The fields from the issue, and one of each kind of admin form, are among those checked.
    for expected in [
        "crossector.core.forms.ProfileForm",
        "events.forms.AttendeeEmailForm",
        "awards.forms.sections.PartnerForm",
        "awards.admin.calls.OutcomeEmailTemplateForm",
        "events.EventAdmin add form",
        "events.EventAdmin change form",
        "core.UserAdmin inline ProfileInline",
        "hubs.HubAdmin inline ContactInline",
        "core.PriorityAreaAdmin changelist form",
    ]:
        assert expected in checked, f"{expected} was not checked"
    assert text_rule_gaps(named) == []


def test_the_check_catches_a_form_without_the_rule():
    class NewForm(forms.Form):
        title = forms.CharField(max_length=200)
        notes = forms.CharField(widget=forms.Textarea)

    class NewAdminForm(forms.ModelForm):
        class Meta:
            model = PriorityArea
            fields = ["name"]

    gaps = text_rule_gaps([("NewForm", NewForm), ("NewAdminForm", lambda data: NewAdminForm(data=data))])
    assert any(g.startswith("NewForm.title (one_line) let 'Ada\\nLovelace'") for g in gaps)
    assert any(g.startswith("NewForm.notes (multi_line)") for g in gaps)
    assert any(g.startswith("NewAdminForm.name (one_line)") for g in gaps)


def test_only_text_inputs_and_textareas_are_text_fields():
    class Mixed(TextRuleMixin, forms.Form):
        name = forms.CharField()
        bio = forms.CharField(widget=forms.Textarea)
        email = forms.EmailField()
        website = forms.URLField()
        secret = forms.CharField(widget=forms.PasswordInput)
        token = forms.CharField(widget=forms.HiddenInput)
        amount = forms.DecimalField(widget=forms.TextInput)

    assert _text_fields(Mixed()) == {"name": "one_line", "bio": "multi_line"}
    form = Mixed(data={"secret": "pass\tword\u202e", "token": "a\u200bb", "name": "x", "bio": "y", "amount": "1"})
    form.is_valid()
    assert "secret" not in form.errors and form.cleaned_data["secret"] == "pass\tword\u202e"


def test_the_admin_site_applies_the_rule_to_a_model_admin_registered_later(staff):
    site = PortalAdminSite(name="later")

    class LaterAdmin(admin.ModelAdmin):
        fields = ["name"]

    site.register(PriorityArea, LaterAdmin)
    form_class = site._registry[PriorityArea].get_form(_request(staff))
    form = form_class(data={"name": "Geno\nmics", "slug": "g"})
    assert "line_break" in _field_errors(form, "name")


def test_allauth_sign_up_asks_for_no_free_text():
    """Names are typed on the profile page (under the rule), not at sign-up; a name field added to allauth's
    sign-up would need the rule too."""
    from allauth.account.forms import SignupForm

    form = SignupForm()
    assert _text_fields(form) == {}
    assert set(form.fields) <= {"email", "password1", "password2"}


# --- Through the pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full_name", "problem"),
    [
        ("Ada\nLovelace", "Enter this on one line"),
        ("Ada\r\nLovelace", "Enter this on one line"),
        ("Ada \u202eecalevoL", "changes the direction of text"),
        ("\u200b\u200b\u200b", "Remove the invisible character"),
        ("Ada\x00", "Remove the control character"),
        ("x" * 151, "at most 150 characters"),
    ],
)
def test_profile_page_refuses_a_bad_name_and_keeps_what_was_typed(client, full_name, problem):
    user = person(full_name="Ada Lovelace")
    client.force_login(user)
    data = {
        "full_name": full_name,
        "organisation": "Cardiff University",
        "job_title": "Lecturer",
        "sector": user.profile.sector,
        "region": user.profile.region,
    }
    response = client.post(reverse("profile"), data)
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert 'value="Cardiff University"' in response.content.decode()
    user.profile.refresh_from_db()
    assert user.profile.full_name == "Ada Lovelace"


def test_profile_page_stores_a_decomposed_name_composed(client):
    user = person(full_name="Old name")
    client.force_login(user)
    data = {
        "full_name": "  Sia\u0302n   Jones ",
        "organisation": "Life Sciences Hub Wales",
        "job_title": "Lead",
        "sector": user.profile.sector,
        "region": user.profile.region,
    }
    response = client.post(reverse("profile"), data)
    assert response.status_code == 302
    user.profile.refresh_from_db()
    assert user.profile.full_name == "Siân Jones"


@pytest.mark.parametrize("name", ["Genomics\nBcc: eve@example.org", "Genomics \u202ecilbup", "\u200b"])
def test_admin_add_page_refuses_a_bad_title(client, staff, name):
    login_with_mfa(client, staff)
    response = client.post(reverse("admin:core_priorityarea_add"), {"name": name, "slug": "genomics-x"})
    assert response.status_code == 200
    assert not PriorityArea.objects.filter(slug="genomics-x").exists()
    assert "Remove" in response.content.decode() or "Enter this on one line" in response.content.decode()
