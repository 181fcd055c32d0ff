"""Forms of the reviewers' admin: the review itself, declaring a conflict, and assigning reviewers."""

from django import forms

from crossector.core.labels import LabelledFormMixin, label_form
from crossector.core.text import TextRuleMixin

from .models import Review
from .permissions import reviewers
from .services import review_problems

SCORE_CHOICES = [
    ("1", "1 – Poor"),
    ("2", "2 – Weak"),
    ("3", "3 – Adequate"),
    ("4", "4 – Good"),
    ("5", "5 – Excellent"),
]


class ReviewForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    """A score from 1 to 5 per criterion of the call (radio buttons), a recommendation and comments.

    "Save draft" accepts any part of it; "Submit" needs it complete (`services.review_problems`, the rule
    the service enforces too), and the errors name each missing part.
    """

    recommendation = forms.ChoiceField(
        label="Your recommendation", choices=Review.Recommendation.choices, widget=forms.RadioSelect, required=False
    )
    comments = forms.CharField(
        label="Comments",
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        required=False,
        help_text="Strengths, weaknesses and anything the panel should know. Other reviewers see these "
        "once they have submitted their own review; the applicant does not.",
    )

    def __init__(self, *args, criteria, submitting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        self.submitting = submitting
        score_fields = {
            f"score_{c.pk}": forms.ChoiceField(
                label=c.title,
                help_text=c.description,
                choices=SCORE_CHOICES,
                widget=forms.RadioSelect,
                required=False,
            )
            for c in self.criteria
        }
        # Scores first, in the call's order, then the recommendation and comments.
        self.fields = {**score_fields, **self.fields}
        # A draft saves without them, but submitting needs every score and the recommendation (`review_problems`):
        # they are not optional, so only the comments say "(optional)".
        self.needed_later = [*score_fields, "recommendation"]
        label_form(self)

    def score_fields(self):
        return [self[f"score_{c.pk}"] for c in self.criteria]

    def scores(self) -> dict[int, int | None]:
        data = self.cleaned_data
        return {c.pk: int(data[f"score_{c.pk}"]) if data.get(f"score_{c.pk}") else None for c in self.criteria}

    def clean(self):
        cleaned = super().clean()
        if self.submitting and not self.errors:
            for name, message in review_problems(
                criteria=self.criteria, scores=self.scores(), recommendation=cleaned.get("recommendation", "")
            ):
                self.add_error(name, message)
        return cleaned


class ConflictForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why you have a conflict of interest",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="For example: you work with the applicant, you know them personally, or you have a stake in "
        "the partner organisation. Programme staff read this; the applicant does not.",
        error_messages={"required": "Say briefly why you have a conflict of interest."},
    )


class AssignReviewersForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        label="Reviewers",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one reviewer."},
        help_text="Members of the Reviewers group.",
    )
    per_application = forms.IntegerField(
        label="Reviewers per application",
        min_value=1,
        max_value=10,
        initial=2,
        help_text="Reviewers already on an application count towards this number.",
        error_messages={
            "required": "Enter how many reviewers each application needs.",
            "min_value": "Each application needs at least 1 reviewer.",
            "max_value": "At most 10 reviewers per application.",
            "invalid": "Enter a whole number of reviewers.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = reviewers()
        self.fields["reviewers"].label_from_instance = _reviewer_label


def _reviewer_label(user) -> str:
    profile = getattr(user, "profile", None)
    name = user.get_full_name() or user.email
    return f"{name} ({profile.organisation})" if profile and profile.organisation else name


class AssignOneReviewerForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    """Assign one reviewer from the application page. The service decides whether they may be assigned."""

    reviewer = forms.ModelChoiceField(
        label="Reviewer",
        queryset=None,
        empty_label="Choose a reviewer",
        error_messages={
            "required": "Choose a reviewer to assign.",
            "invalid_choice": "Choose a reviewer from the list: that person is not in the Reviewers group.",
        },
        help_text="Members of the Reviewers group not already on this application.",
    )
    override = forms.BooleanField(
        label="Assign even though a conflict of interest is likely",
        required=False,
        help_text="Only with a note saying why; the flag and the note go into the history.",
    )
    note = forms.CharField(
        label="Note for the history",
        required=False,
        help_text="Needed to assign despite a likely conflict.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        on_it = application.reviewer_assignments.values("reviewer")
        self.fields["reviewer"].queryset = reviewers().exclude(pk__in=on_it).exclude(pk=application.applicant_id)
        self.fields["reviewer"].label_from_instance = _reviewer_label
