"""Sign-up that does not tell a stranger who has an account (docs/security.md, "Nothing tells a stranger who
has an account").

allauth (ACCOUNT_PREVENT_ENUMERATION, its default) already answers an address that has an account exactly as
a new one: the same redirect to "check your email", and an email to the address ("someone tried to sign up
with your address", through the outbox) instead of a verification link. But the new address's path hashes
the password (about 200 ms with the production hasher) and the existing one did not (about 10 ms), so the
time of the answer told. Here the existing-address path hashes the password it was given too, and throws
the hash away.
"""

from allauth.account.forms import SignupForm
from django.contrib.auth.hashers import make_password

from .labels import LabelledFormMixin
from .text import TextRuleMixin


class PortalSignupForm(TextRuleMixin, LabelledFormMixin, SignupForm):
    def try_save(self, request):
        if self.account_already_exists:
            # The same work as User.set_password on the new-address path: same hasher, same iterations.
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)
