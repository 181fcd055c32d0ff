import hashlib
import secrets
import uuid
from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse

from . import services
from .client_ip import client_ip
from .models import User

APP = "allauth.account"  # allauth's rate limits are read from ACCOUNT_RATE_LIMITS under this name


SITE_NAME = "Cross-Sector Programme"

# A browser someone has signed in from before carries a signed "known device" cookie naming (by digest) the
# addresses of that account. Failures from such a browser are counted for that browser alone, so an attack on
# an address from elsewhere never locks its owner out of a browser they have used (OWASP, "Slow Down Online
# Guessing Attacks with Device Cookies"). It cannot be forged: only a successful sign-in issues one.
DEVICE_COOKIE = "known_device"
DEVICE_SALT = "crossector.known-device"
DEVICE_MAX_AGE = 365 * 24 * 60 * 60  # seconds


def site_link(url: str) -> str:
    """The link for an email: SITE_URL (the address the portal is served at, which `make run PORT=` sets)
    with the path of `url`, never the Host header of whichever request happened to cause the email."""
    parts = urlsplit(str(url))
    return f"{settings.SITE_URL}{parts.path}" + (f"?{parts.query}" if parts.query else "")


class AccountAdapter(DefaultAccountAdapter):
    """allauth, wired to the portal: its emails go through the outbox and sign-in leads to the profile."""

    def send_mail(self, template_prefix, email, context):
        # allauth's own send_mail (which this replaces) adds `email` and `current_site`; its templates name
        # the site with them ("register an account on ..."): the programme's name and served address.
        site = SimpleNamespace(name=SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)
        context = {"email": email, "current_site": site, **context}
        # allauth builds its links (activate_url, password_reset_url, signup_url, ...) from the request's host.
        context.update({key: site_link(value) for key, value in context.items() if key.endswith("_url") and value})
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
            user=address_owner(email),
            # Each allauth email (a verification code, a reset link) is its own action.
            idempotency_key=f"account-{template_prefix.rsplit('/', 1)[-1]}-{uuid.uuid4()}",
        )

    def get_client_ip(self, request) -> str:
        """Every allauth rate limit per IP (and the portal's own, through allauth's ratelimit) counts the
        client address that the trusted-proxy setting gives."""
        return client_ip(request)

    def pre_authenticate(self, request, **credentials):
        """Count this sign-in as failed until it succeeds (allauth rolls the counts back on success), against
        three limits (ACCOUNT_RATE_LIMITS): this address from this IP ("login_failed_password" key) under the
        IP's ceiling ("login_failed_password" ip), and this address from anywhere ("login_failed_account").
        No limit is keyed on the IP alone at a level one person reaches, so failures for other addresses from
        the same IP never make a correct password fail; only an attack on this address (or 100 failures in
        10 minutes from one IP) makes it wait, and then only in browsers the address has never signed in from:
        a browser with the address's known-device cookie counts its own failures alone."""
        address = _login_address(credentials)
        device = _known_device(request, address)
        if device is not None:
            # The owner's own browser: its own count only ("login_failed_device"), whatever others try.
            usage = ratelimit.consume(request, app=APP, action="login_failed_device", key=f"{device}|{address}")
            if not usage:
                raise self.validation_error("too_many_login_attempts")
            self._login_failed_rl_usage = usage
            return
        pair = ratelimit.consume(request, app=APP, action="login_failed_password", key=self._pair_key(request, address))
        if not pair:
            raise self.validation_error("too_many_login_attempts")
        account = ratelimit.consume(request, app=APP, action="login_failed_account", key=address)
        if not account:
            pair.rollback()
            raise self.validation_error("too_many_login_attempts")
        self._login_failed_rl_usage = ratelimit.RateLimitUsage(usage=pair.usage + account.usage)

    def _delete_login_attempts_cached_email(self, request, **credentials):
        """After a password reset the address may sign in again at once: its account-wide count and its count
        from the resetting IP are cleared (allauth calls this for each of the user's addresses). The IP's
        ceiling is not: resetting one's own password must not reset what an IP may try on others."""
        address = _login_address(credentials)
        for action, key in (
            ("login_failed_password", self._pair_key(request, address)),
            ("login_failed_account", address),
        ):
            for rate in ratelimit.get_rates(app=APP, action=action):
                if rate.per == "key":
                    cache.delete(ratelimit.get_cache_key(request, app=APP, action=action, rate=rate, key=key))

    def _pair_key(self, request, address: str) -> str:
        # The IP as allauth counts it (an IPv6 address by its /64), so a host cannot rotate within its block.
        return f"{ratelimit.get_ip(request)}|{address}"

    def post_login(self, request, user, **kwargs):
        """After every successful sign-in: mark this browser as known to the account's addresses (see
        `DEVICE_COOKIE`), so attacks on those addresses from elsewhere never lock this browser out."""
        response = super().post_login(request, user, **kwargs)
        addresses = {user.email, *user.emailaddress_set.values_list("email", flat=True)}
        value = {"n": secrets.token_urlsafe(12), "a": sorted(_address_digest(a) for a in addresses if a)}
        response.set_cookie(
            DEVICE_COOKIE,
            signing.dumps(value, salt=DEVICE_SALT, compress=True),
            max_age=DEVICE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response

    def get_login_redirect_url(self, request):
        return _profile_first(request) or super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        return _profile_first(request) or reverse("profile") + "?welcome=1"

    def get_email_verification_redirect_url(self, email_address):
        return _profile_first(self.request) or super().get_email_verification_redirect_url(email_address)


def address_owner(address: str) -> User | None:
    """The account an address belongs to: its main address, or any other address it added (verified or not),
    so that an email to a second address is the account's, found by its download and its deletion."""
    from allauth.account.models import EmailAddress

    owner = User.objects.filter(email__iexact=address).first()
    if owner is None:
        added = EmailAddress.objects.filter(email__iexact=address).select_related("user").first()
        owner = added.user if added else None
    return owner


def _address_digest(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:24]


def _known_device(request, address: str) -> str | None:
    """This browser's known-device id when a sign-in to `address` was completed in it before, else None."""
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw or not address:
        return None
    try:
        value = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or _address_digest(address) not in value.get("a", ()):
        return None
    return str(value.get("n", ""))[:32] or None


def _login_address(credentials) -> str:
    return (credentials.get("email") or credentials.get("username") or "").strip().lower()


def _profile_first(request) -> str | None:
    """New people complete their profile before anything else."""
    user = request.user
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    if profile is None or not profile.is_complete:
        return reverse("profile") + "?welcome=1"
    return None
