"""allauth's account forms said the portal's way (wired in through ACCOUNT_FORMS): "(optional)" on the fields
a person may leave empty, no asterisk on the others, and a specific message for an empty required field
(`crossector.core.labels`), like every other form of the portal."""

from allauth.account import forms as allauth_forms

from .labels import LabelledFormMixin
from .text import TextRuleMixin


class PortalLoginForm(TextRuleMixin, LabelledFormMixin, allauth_forms.LoginForm):
    pass


class PortalAddEmailForm(TextRuleMixin, LabelledFormMixin, allauth_forms.AddEmailForm):
    pass


class PortalChangePasswordForm(TextRuleMixin, LabelledFormMixin, allauth_forms.ChangePasswordForm):
    pass


class PortalSetPasswordForm(TextRuleMixin, LabelledFormMixin, allauth_forms.SetPasswordForm):
    pass


class PortalResetPasswordForm(TextRuleMixin, LabelledFormMixin, allauth_forms.ResetPasswordForm):
    pass


class PortalResetPasswordKeyForm(TextRuleMixin, LabelledFormMixin, allauth_forms.ResetPasswordKeyForm):
    pass


class PortalReauthenticateForm(TextRuleMixin, LabelledFormMixin, allauth_forms.ReauthenticateForm):
    pass
