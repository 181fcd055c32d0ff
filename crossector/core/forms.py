from django import forms

from .models import PriorityArea, Profile


class ProfileForm(forms.ModelForm):
    interests = forms.ModelMultipleChoiceField(
        queryset=PriorityArea.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Interests",
        help_text="The programme's priority areas you work in or want to work in.",
    )

    class Meta:
        model = Profile
        fields = ["full_name", "organisation", "job_title", "sector", "region", "interests", "bio"]
        labels = {"full_name": "Full name", "organisation": "Organisation", "job_title": "Job title"}
        help_texts = {
            "sector": "The sector of the organisation you work for now.",
            "bio": "Optional. A few sentences about your work (up to 600 characters).",
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
