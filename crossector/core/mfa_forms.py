"""allauth's two-factor forms with labels and hints in the portal's words (wired in through MFA_FORMS)."""

from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.totp.forms import ActivateTOTPForm

from .labels import LabelledFormMixin
from .text import TextRuleMixin

CODE_ATTRS = {"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false", "autocapitalize": "off"}


def _relabel(form, *, label: str, help_text: str) -> None:
    field = form.fields["code"]
    field.label = label
    field.help_text = help_text
    field.error_messages["required"] = "Enter the code from your authenticator app"
    field.widget.attrs.pop("placeholder", None)  # a placeholder is not a label and vanishes as you type
    field.widget.attrs.update(CODE_ATTRS)


class _CodeOrRecoveryCode:
    """Signing in, and confirming it is you again, take the app's code or a recovery code."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(
            self,
            label="Authentication code",
            help_text="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        )


class PortalAuthenticateForm(TextRuleMixin, LabelledFormMixin, _CodeOrRecoveryCode, AuthenticateForm):
    pass


class PortalReauthenticateForm(TextRuleMixin, LabelledFormMixin, _CodeOrRecoveryCode, ReauthenticateForm):
    pass


class PortalActivateTOTPForm(TextRuleMixin, LabelledFormMixin, ActivateTOTPForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, label="Code from your app", help_text="The 6-digit code your authenticator app shows now.")
        self.fields["code"].widget.attrs["inputmode"] = "numeric"
