"""One form per section page. They check format when saving; completeness waits for submit (rules.py)."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxLengthValidator
from django.forms import formset_factory

from crossector.core.dates import DatePartsField
from crossector.core.labels import LabelledFormMixin
from crossector.core.models import PriorityArea
from crossector.core.money import MoneyFormField
from crossector.core.text import TextRuleMixin
from crossector.core.words import word_limit

from .. import rules
from ..models import Application, CostLine, DocumentKind, PartnerOrganisation
from ..pdf import pdf_problem


def _optional(form):
    for field in form.fields.values():
        field.required = False


# Characters a free-text answer may hold: the word limits (rules.WORD_LIMITS) count words, and one
# "word" can be megabytes long, so every text box also has a bound in characters (docs/security.md).
TEXT_MAX_CHARS = {
    "summary": 3000,
    "aims": 6000,
    "why_now": 6000,
    "benefits": 6000,
    "lasting_links": 4000,
    "justification": 1000,
}
PARTNERS_MAX = 10
COST_LINES_MAX = 20


def _bound_text(form):
    """Give each free-text field in TEXT_MAX_CHARS its character limit, checked on the server.

    No `maxlength` attribute: a browser would cut pasted text short without a word, losing the end of it."""
    for name, field in form.fields.items():
        if (limit := TEXT_MAX_CHARS.get(name)) is not None:
            field.max_length = limit
            field.validators.append(
                MaxLengthValidator(limit, message=f"Use {limit} characters or fewer (you have %(show_value)s).")
            )


class YouForm(TextRuleMixin, LabelledFormMixin, forms.ModelForm):
    class Meta:
        model = Application
        fields = ["organisation", "organisation_sector", "role", "discipline", "career_stage", "region"]
        # The applicant's own organisation and job title: browsers may fill them in (WCAG 1.3.5).
        widgets = {
            "organisation": forms.TextInput(attrs={"autocomplete": "organization"}),
            "role": forms.TextInput(attrs={"autocomplete": "organization-title"}),
        }
        help_texts = {
            "organisation": "Where you work now. You will return here after the placement.",
            "discipline": "For example clinical genomics, health economics, software engineering.",
        }

    # Saving a draft takes any of these empty; submitting needs them all (rules.application_problems).
    needed_later = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _optional(self)


YES_NO_BLANK = [("yes", "Yes"), ("no", "No")]


class PartnerForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    needed_later = ("name", "sector", "country", "contact_name", "is_health_related")

    name = forms.CharField(label="Organisation name", max_length=200, required=False)
    sector = forms.ChoiceField(
        label="Sector",
        required=False,
        choices=[("", "Choose a sector")] + list(PartnerOrganisation._meta.get_field("sector").choices),
        help_text="Must be different from your employing organisation's sector.",
    )
    country = forms.CharField(
        label="Country", max_length=100, required=False, help_text="The partner may be outside the UK."
    )
    contact_name = forms.CharField(label="Contact person", max_length=150, required=False)
    contact_email = forms.EmailField(label="Contact email", required=False)
    is_health_related = forms.ChoiceField(
        label="Is the organisation health-related?",
        choices=YES_NO_BLANK,
        required=False,
        widget=forms.RadioSelect,
        help_text="It does not have to be.",
    )

    def __init__(self, *args, employer_sector="", **kwargs):
        self.employer_sector = employer_sector
        super().__init__(*args, **kwargs)

    def clean_sector(self):
        sector = self.cleaned_data["sector"]
        if problem := rules.partner_sector_problem(employer_sector=self.employer_sector, partner_sector=sector):
            raise forms.ValidationError(problem)
        return sector

    def as_row(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "DELETE"}
        data["is_health_related"] = {"yes": True, "no": False}.get(data["is_health_related"])
        return data

    @staticmethod
    def initial_for(partner: PartnerOrganisation) -> dict:
        health = {True: "yes", False: "no"}.get(partner.is_health_related, "")
        return {
            "name": partner.name,
            "sector": partner.sector,
            "country": partner.country,
            "contact_name": partner.contact_name,
            "contact_email": partner.contact_email,
            "is_health_related": health,
        }


class _RowFormSet(forms.BaseFormSet):
    row_noun = "Row"  # what the page calls one form: "Cost 2", "Partner organisation 1"

    def rows(self) -> list[dict]:
        """The rows to keep: every form with something in it, unless marked for removal.

        Not `has_changed()`: a row shown from the database and saved untouched must be kept.
        """
        kept = []
        for form in self.forms:
            if self.can_delete and form.cleaned_data.get("DELETE"):
                continue
            row = form.as_row() if form.cleaned_data else {}
            if any(value not in (None, "") for value in row.values()):
                kept.append(row)
        return kept


def _initial_unless_bound(initial: list[dict], data) -> list[dict] | None:
    """The saved rows fill the page shown; a posted page is taken as it is, whatever is saved now.

    A formset compares each posted "extra" row with the initial row at the same place and drops it when they
    are equal. With the saved rows as initial, the same page posted twice (a double click, Back then Save)
    would find its new rows already saved, drop them, and save the section without them.
    """
    return initial if data is None else None


def partner_formset(application, data=None, *, add=False):
    initial = [PartnerForm.initial_for(p) for p in application.partners.all()]
    formset_class = formset_factory(
        PartnerForm,
        formset=type("PartnerFormSet", (_RowFormSet,), {"row_noun": "Partner organisation"}),
        extra=1 if add or not initial else 0,
        can_delete=True,
        max_num=PARTNERS_MAX,
        validate_max=True,
        absolute_max=PARTNERS_MAX,
    )
    return formset_class(
        data,
        initial=_initial_unless_bound(initial, data),
        prefix="partners",
        form_kwargs={"employer_sector": application.organisation_sector},
        error_messages={
            "too_many_forms": f"You can add up to {PARTNERS_MAX} partner organisations. Remove one to add another."
        },
    )


class ProposalForm(TextRuleMixin, LabelledFormMixin, forms.ModelForm):
    priority_areas = forms.ModelMultipleChoiceField(
        queryset=PriorityArea.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Priority area(s)",
        help_text="Choose all that apply.",
    )

    needed_later = "__all__"

    class Meta:
        model = Application
        fields = ["title", "summary", "aims", "why_now", "benefits", "lasting_links", "priority_areas"]
        widgets = {
            name: forms.Textarea(attrs={"rows": 6})
            for name in ["summary", "aims", "why_now", "benefits", "lasting_links"]
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _optional(self)
        _bound_text(self)
        for name, limit in rules.WORD_LIMITS.items():
            word_limit(self.fields[name], limit)


class TimingForm(TextRuleMixin, LabelledFormMixin, forms.ModelForm):
    needed_later = "__all__"

    class Meta:
        model = Application
        fields = ["start_date", "duration_months", "fte_percent"]
        field_classes = {"start_date": DatePartsField}
        labels = {"fte_percent": "Time on the placement (% of full time)"}
        help_texts = {"fte_percent": "100 for full time; for example 50 for half time."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _optional(self)
        self.fields["start_date"].what = "the start date"
        self.fields["start_date"].example = rules.start_date_example(call=self.instance.call)
        call = self.instance.call
        self.fields[
            "start_date"
        ].help_text = f"The placement must start after the call closes ({rules.format_uk(call.closes_at)})."
        self.fields[
            "duration_months"
        ].help_text = f"Between {call.min_duration_months} and {call.max_duration_months} months."

    def clean_start_date(self):
        start = self.cleaned_data["start_date"]
        if problem := rules.start_date_problem(start=start, call=self.instance.call):
            raise forms.ValidationError(problem)
        return start

    def clean_duration_months(self):
        months = self.cleaned_data["duration_months"]
        if problem := rules.duration_problem(months=months, call=self.instance.call):
            raise forms.ValidationError(problem)
        return months


class CostLineForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    needed_later = "__all__"

    category = forms.ChoiceField(
        label="Category", required=False, choices=[("", "Choose a category")] + list(CostLine.Category.choices)
    )
    amount = MoneyFormField(
        label="Amount",
        required=False,
        max_value=Decimal("9999999.99"),
        what="the amount",
        help_text="In pounds, for example 12,500 or 12,500.50.",
    )
    justification = forms.CharField(label="Justification", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bound_text(self)
        self.fields["amount"].widget.attrs["data-cost-amount"] = ""
        word_limit(self.fields["justification"], rules.JUSTIFICATION_WORD_LIMIT)

    def as_row(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "DELETE"}


class _CostFormSet(_RowFormSet):
    row_noun = "Cost"
    maximum = Decimal("0")

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        total = rules.costs_total(row["amount"] for row in self.rows())
        if problem := rules.costs_problem(total=total, maximum=self.maximum):
            raise forms.ValidationError(problem)


def cost_formset(application, data=None, *, add=False):
    initial = [
        {"category": c.category, "amount": c.amount, "justification": c.justification}
        for c in application.cost_lines.all()
    ]
    formset_class = formset_factory(
        CostLineForm,
        formset=_CostFormSet,
        extra=1 if add or not initial else 0,
        can_delete=True,
        max_num=COST_LINES_MAX,
        validate_max=True,
        absolute_max=COST_LINES_MAX,
    )
    formset_class.maximum = application.call.max_award
    return formset_class(
        data,
        initial=_initial_unless_bound(initial, data),
        prefix="costs",
        error_messages={
            "too_many_forms": f"You can list up to {COST_LINES_MAX} costs. Combine or remove one to add another."
        },
    )


class DocumentsForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    cv = forms.FileField(label="Your CV", required=False)
    partner_letter = forms.FileField(label="Letter of support from the partner organisation", required=False)
    employer_statement = forms.FileField(
        label="Statement from your employing organisation confirming release and return", required=False
    )

    needed_later = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["accept"] = "application/pdf,.pdf"
            field.help_text = "PDF, 10 MB or smaller."

    def clean(self):
        for kind in DocumentKind.values:
            upload = self.cleaned_data.get(kind)
            if upload and (problem := pdf_problem(upload)):
                self.add_error(kind, problem)
        return self.cleaned_data


class SignatoryForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    signatory_name = forms.CharField(
        label="Their name", max_length=150, error_messages={"required": "Enter the name of the person who signs"}
    )
    signatory_email = forms.EmailField(
        label="Their email address",
        error_messages={
            "required": "Enter the email address of the person who signs",
            "invalid": "Enter their email address in the right format, like name@example.org",
        },
    )


class DeclarationsForm(TextRuleMixin, LabelledFormMixin, forms.ModelForm):
    class Meta:
        model = Application
        fields = ["declare_accurate", "declare_employer_agrees", "declare_data_use"]
        labels = {
            "declare_accurate": "The information in this application is accurate and complete.",
            "declare_employer_agrees": "My employing organisation knows about this application and supports it.",
            "declare_data_use": "I agree that the Academy may share this application with its reviewers and panel.",
        }


def error_links(*forms_and_formsets) -> list[dict]:
    """Every error, as a link to its field, for the error summary at the top of the page."""
    links = []
    for item in forms_and_formsets:
        if item is None:
            continue
        if isinstance(item, forms.BaseFormSet):
            for error in item.non_form_errors():
                first = item.forms[0] if item.forms else None
                target = None if first is None else first["amount"] if "amount" in first.fields else next(iter(first))
                href = f"#{target.auto_id}" if target is not None else "#"
                links.append({"href": href, "text": error})
            # Each row named as its page names it, so the summary says which cost line is wrong.
            members = [(form, f"{item.row_noun} {i}, ") for i, form in enumerate(item.forms, start=1)]
        else:
            members = [(item, "")]
        for form, row in members:
            for error in form.non_field_errors():
                links.append({"href": "#", "text": f"{row}{error}" if row else error})
            for field in form:
                multiple = isinstance(
                    field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.MultiWidget
                )
                label = str(field.label).removesuffix(" (optional)")
                if row:
                    label = label[0].lower() + label[1:] if label[1:2].islower() else label
                for error in field.errors:
                    href = f"#{field.auto_id}_0" if multiple else f"#{field.auto_id}"
                    links.append({"href": href, "text": f"{row}{label}: {error}"})
    return links
