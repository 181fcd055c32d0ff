from datetime import datetime

from django import forms

from crossector.core.labels import LabelledFormMixin
from crossector.core.models import PriorityArea
from crossector.core.text import TextRuleMixin
from crossector.core.words import word_limit
from hubs.models import Hub

from .models import Booking, Event


class BookingForm(TextRuleMixin, LabelledFormMixin, forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        word_limit(self.fields["access_requirements"], 80)

    class Meta:
        model = Booking
        fields = ["dietary_requirements", "access_requirements", "attendee_list_consent"]
        labels = {
            "dietary_requirements": "Dietary requirements (optional)",
            "access_requirements": "Access requirements (optional)",
            "attendee_list_consent": "Show my name, organisation and sector on the attendee list for networking",
        }
        help_texts = {
            "dietary_requirements": "For example vegetarian, halal, or a food allergy.",
            "access_requirements": (
                "Anything that would help you take part, such as step-free access or a hearing loop."
            ),
            "attendee_list_consent": (
                "Only other people booked on this event can see the list. You can leave this unticked."
            ),
        }
        widgets = {
            "dietary_requirements": forms.TextInput(attrs={"autocomplete": "off"}),
            "access_requirements": forms.Textarea(attrs={"rows": 3}),
        }


class EventFilterForm(TextRuleMixin, forms.Form):
    """The filters above the events list. Every field is optional; a bad value is simply ignored."""

    when = forms.ChoiceField(
        choices=[("upcoming", "Upcoming"), ("past", "Past")], required=False, widget=forms.HiddenInput
    )
    hub = forms.ModelChoiceField(
        queryset=Hub.objects.filter(is_active=True).order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="All hubs and Academy-wide",
    )
    area = forms.ModelChoiceField(
        label="Priority area",
        queryset=PriorityArea.objects.order_by("id"),
        to_field_name="slug",
        required=False,
        empty_label="All priority areas",
    )
    format = forms.ChoiceField(choices=[("", "Any format"), *Event.Format.choices], required=False)
    month = forms.ChoiceField(choices=[("", "Any month")], required=False)

    def __init__(self, *args, months: list[datetime] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [("", "Any month")] + [(f"{m:%Y-%m}", f"{m:%B %Y}") for m in months]

    def cleaned_or_empty(self) -> dict:
        """The valid filters; an invalid one (an old link, a typed URL) is dropped rather than shown as an error."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        month = data.get("month")
        data["month"] = datetime.strptime(month, "%Y-%m") if month else None
        data["past"] = data.pop("when", "") == "past"
        return data


class CheckInSearchForm(TextRuleMixin, forms.Form):
    q = forms.CharField(label="Search by name, email or organisation", required=False, max_length=100)


class AttendeeEmailForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    subject = forms.CharField(max_length=200, error_messages={"required": "Enter a subject for the email"})
    message = word_limit(
        forms.CharField(
            max_length=10000,
            widget=forms.Textarea(attrs={"rows": 8}),
            error_messages={"required": "Enter the message to send"},
        ),
        1000,
    )
    include_waiting = forms.BooleanField(label="Also email people on the waiting list", required=False)
