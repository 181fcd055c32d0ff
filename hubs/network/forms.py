from django import forms

from crossector.core.labels import LabelledFormMixin
from crossector.core.models import PriorityArea, Profile
from crossector.core.text import TextRuleMixin
from crossector.core.vocabulary import Region, Sector
from crossector.core.words import word_limit

from .models import MESSAGE_MAX_LENGTH

OPEN_TO_CHOICES = [(name, Profile._meta.get_field(name).verbose_name) for name in Profile.OPEN_TO_FIELDS]


class DirectoryFilterForm(TextRuleMixin, forms.Form):
    q = forms.CharField(label="Search by name or organisation", required=False, max_length=100)
    sector = forms.ChoiceField(label="Sector", required=False, choices=[("", "Any sector"), *Sector.choices])
    region = forms.ChoiceField(
        label="Hub, nation or region", required=False, choices=[("", "Anywhere"), *Region.choices]
    )
    areas = forms.ModelMultipleChoiceField(
        label="Priority areas",
        required=False,
        queryset=PriorityArea.objects.order_by("id"),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
    )
    open_to = forms.MultipleChoiceField(
        label="Open to", required=False, choices=OPEN_TO_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "q": data["q"].strip(),
            "sector": data["sector"],
            "region": data["region"],
            "areas": list(data["areas"]),
            "open_to": data["open_to"],
        }


class ConnectionRequestForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    message = word_limit(
        forms.CharField(
            label="Your message",
            max_length=MESSAGE_MAX_LENGTH,
            help_text=f"Say who you are and why you would like to connect (up to {MESSAGE_MAX_LENGTH} characters). "
            "Your email address is shared only if they accept.",
            widget=forms.Textarea(attrs={"rows": 5, "maxlength": MESSAGE_MAX_LENGTH}),
            error_messages={"required": "Enter a short message so they know why you would like to connect."},
        ),
        80,
    )


class AbuseReportForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    reason = word_limit(
        forms.CharField(
            label="What happened?",
            max_length=2000,
            help_text="Programme staff read every report. We do not tell the person who reported them.",
            widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
            error_messages={"required": "Tell us what happened so staff can look into it."},
        ),
        300,
    )
