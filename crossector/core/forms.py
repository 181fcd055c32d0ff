from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms

from .labels import LabelledFormMixin, label_form
from .models import PriorityArea, Profile
from .text import TextRuleMixin
from .words import word_limit

ABOUT_FIELDS = ["full_name", "organisation", "job_title", "sector", "region", "interests", "bio"]


class ProfileForm(TextRuleMixin, LabelledFormMixin, forms.ModelForm):
    interests = forms.ModelMultipleChoiceField(
        queryset=PriorityArea.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Interests",
        help_text="The programme's priority areas you work in or want to work in.",
    )

    class Meta:
        model = Profile
        fields = [*ABOUT_FIELDS, "directory_listed", *Profile.DIRECTORY_SHOW_FIELDS, *Profile.OPEN_TO_FIELDS]
        labels = {"full_name": "Full name", "organisation": "Organisation", "job_title": "Job title"}
        help_texts = {
            "sector": "The sector of the organisation you work for now.",
            "bio": "A few sentences about your work (up to 600 characters).",
            "directory_listed": "Off unless you tick it. Signed-in members can then find you and send you a "
            "connection request. Your email address is shared only with people whose request you accept.",
        }
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "organisation": forms.TextInput(attrs={"autocomplete": "organization"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
            "bio": forms.Textarea(attrs={"rows": 4, "maxlength": 600}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in Profile.REQUIRED_FIELDS:
            self.fields[name].required = True
        self.fields["sector"].choices = [("", "Choose your sector")] + list(self.fields["sector"].choices)[1:]
        self.fields["region"].choices = [("", "Choose your nation or region")] + list(self.fields["region"].choices)[1:]
        word_limit(self.fields["bio"], 100)
        label_form(self)  # again: the fields above became required after the mixin labelled them
        # Three groups, each with a legend, so the directory choices read as one question at a time.
        self.helper = FormHelper(self)
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset("About you", *ABOUT_FIELDS),
            Fieldset(
                "People directory",
                "directory_listed",
                HTML(
                    '<p class="form-text mb-2" id="directory-show-hint">When you are listed, your name and sector '
                    "are always shown. Choose what else to show:</p>"
                ),
                *Profile.DIRECTORY_SHOW_FIELDS,
            ),
            Fieldset("I am open to", *Profile.OPEN_TO_FIELDS),
        )


class AccountDeleteForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    """Deleting an account asks for the password again, with allauth's re-authentication rate limit."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Enter your password to confirm that you want to delete your account.",
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.helper = FormHelper(self)
        self.helper.form_tag = False

    def clean_password(self):
        from allauth.core import ratelimit

        password = self.cleaned_data["password"]
        if not ratelimit.consume(self.request, action="reauthenticate", user=self.request.user):
            raise forms.ValidationError("Too many attempts. Wait a minute, then try again.")
        if not self.request.user.check_password(password):
            raise forms.ValidationError("The password is not right. Check it and try again.")
        return password
