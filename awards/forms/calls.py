from django import forms

from crossector.core.labels import LabelledFormMixin
from crossector.core.text import TextRuleMixin

YES_NO = [("yes", "Yes"), ("no", "No")]


class EligibilityForm(TextRuleMixin, LabelledFormMixin, forms.Form):
    """ "Check whether you can apply": each "no" is explained on the page, not just refused."""

    QUESTIONS = {
        "employed": (
            "Are you employed by an organisation (NHS, industry, academia, government, charity or other)?",
            "The award pays for time away from your current job, so you need an employing organisation that "
            "will release you for the placement and take you back afterwards.",
        ),
        "different_sector": (
            "Will you spend the placement in an organisation of a different sector from your employer?",
            "The partner organisation must be in a different sector from your employer: that is what the award is "
            "for. It need not be health-related or in the UK.",
        ),
        "health_link": (
            "Does your work have a clear link to improving human health?",
            "Applicants can be at any career stage and in any discipline, and need not be researchers, but the "
            "placement must connect to improving human health.",
        ),
        "employer_support": (
            "Will your employer confirm in writing that they will release you and take you back?",
            "You will need a statement from your employing organisation confirming your release and return.",
        ),
    }

    employed = forms.ChoiceField(label=QUESTIONS["employed"][0], choices=YES_NO, widget=forms.RadioSelect)
    different_sector = forms.ChoiceField(
        label=QUESTIONS["different_sector"][0], choices=YES_NO, widget=forms.RadioSelect
    )
    health_link = forms.ChoiceField(label=QUESTIONS["health_link"][0], choices=YES_NO, widget=forms.RadioSelect)
    employer_support = forms.ChoiceField(
        label=QUESTIONS["employer_support"][0], choices=YES_NO, widget=forms.RadioSelect
    )

    def reasons(self) -> list[str]:
        return [self.QUESTIONS[name][1] for name, value in self.cleaned_data.items() if value == "no"]
