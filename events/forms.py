from datetime import datetime

from django import forms

from crossector.core.labels import LabelledFormMixin
from crossector.core.models import PriorityArea
from crossector.core.text import TextRuleMixin
from crossector.core.words import word_limit
from hubs.models import Hub

from .models import Booking, Event


class BookingForm(TextRuleMixin, LabelledFormMixin, forms.ModelForm):
    """What a person tells us with a booking, on the booking form and on "Your requirements" afterwards.

    Access requirements reveal health, so they are kept only with the explicit consent asked for right below
    them (`events.services.requirements_fields` enforces the same rule for every caller).
    """

    access_requirements_consent = forms.BooleanField(
        label="I consent to the Academy using my access requirements to make arrangements for me at this event",
        required=False,
        help_text=(
            "Needed only if you give access requirements. They may tell us about your health, so we keep them only "
            "with your consent, share them only with the event's organisers, and delete them when you withdraw "
            "consent, cancel, or 2 years after the event. You can change or withdraw them from My bookings."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        word_limit(self.fields["access_requirements"], 80)
        self.order_fields(["dietary_requirements", "access_requirements", "access_requirements_consent"])
        if self.instance.pk:
            self.fields["access_requirements_consent"].initial = bool(self.instance.access_requirements_consent_at)

    def clean(self):
        from .services import NO_CONSENT

        cleaned = super().clean()
        if (cleaned.get("access_requirements") or "").strip() and not cleaned.get("access_requirements_consent"):
            self.add_error("access_requirements_consent", NO_CONSENT)
        return cleaned

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
                "Only other confirmed attendees who agreed too can see the list, and we may suggest you to them in a "
                '"people to meet" email before the event. You can leave this unticked, and change it later from '
                "My bookings."
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
