import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from . import services
from .models import User


class AccountAdapter(DefaultAccountAdapter):
    """allauth, wired to the portal: its emails go through the outbox and sign-in leads to the profile."""

    def send_mail(self, template_prefix, email, context):
        message = self.render_mail(template_prefix, email, context)
        alternatives = getattr(message, "alternatives", [])
        html = next((content for content, mimetype in alternatives if mimetype == "text/html"), "")
        if message.content_subtype == "html":
            html, text = message.body, ""
        else:
            text = message.body
        if not html:
            # Wrap allauth's plain text in the portal's shared HTML email layout.
            html = render_to_string(
                "emails/account.html", {"body": text, "subject": message.subject, "site_url": settings.SITE_URL}
            )
        services.email_queue(
            to=email,
            subject=message.subject,
            body_text=text,
            body_html=html,
            user=User.objects.filter(email__iexact=email).first(),
            # Each allauth email (a verification code, a reset link) is its own action.
            idempotency_key=f"account-{template_prefix.rsplit('/', 1)[-1]}-{uuid.uuid4()}",
        )

    def get_login_redirect_url(self, request):
        return _profile_first(request) or super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        return _profile_first(request) or reverse("profile") + "?welcome=1"

    def get_email_verification_redirect_url(self, email_address):
        return _profile_first(self.request) or super().get_email_verification_redirect_url(email_address)


def _profile_first(request) -> str | None:
    """New people complete their profile before anything else."""
    user = request.user
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    if profile is None or not profile.is_complete:
        return reverse("profile") + "?welcome=1"
    return None
