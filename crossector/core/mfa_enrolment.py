"""Setting up the second factor takes more than the password: an emailed one-time link.

An account that needs two-factor authentication and has no authenticator app (`mfa.second_factor_missing`)
has only its password. If that were enough to set the app up, whoever stole the password could add their own
app and pass every "second factor" check after it. So, before the set-up page opens for such an account:

1. the person asks for a link (rate limited per user, `RATE_ACTION` in ACCOUNT_RATE_LIMITS), sent through the
   outbox to the account's primary verified address, which the account cannot change in this state;
2. they open it in a session signed in as the same account: the link is signed, names the user, expires after
   `LINK_MAX_AGE` and opens once (`SecondFactorEnrolmentLink.used_at`);
3. that stores a proof in the session for `PROOF_MAX_AGE`, which the set-up page (`mfa_views.activate_totp`)
   asks for. Activating the app clears it.
"""

from __future__ import annotations

import enum
import time
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import services
from .models import SecondFactorEnrolmentLink, User

LINK_MAX_AGE = 30 * 60  # seconds an emailed link works
PROOF_MAX_AGE = 15 * 60  # seconds the set-up page stays open after the link was opened
LINK_SALT = "crossector.mfa-enrolment-link"
PROOF_SESSION_KEY = "mfa_enrolment_proof"
RATE_APP = "allauth.account"  # the limit lives in ACCOUNT_RATE_LIMITS with allauth's own
RATE_ACTION = "mfa_enrolment_email"


class LinkRefusal(enum.Enum):
    """Why a link did not open, with the sentence the page shows."""

    INVALID = "This link is not complete or not valid. Copy the whole link from the email, or send a new one."
    EXPIRED = "This link has expired: each link works for 30 minutes. Send yourself a new one."
    USED = "This link has been used already: each link works once. Send yourself a new one if you need it."
    OTHER_ACCOUNT = (
        "This link was sent to a different account from the one you are signed in as. Sign out, sign in as the "
        "account the email was sent to, then open the link again."
    )


def enrolment_address(*, user: User) -> str | None:
    """Where the link goes: the account's primary verified address, or None when it has none.

    An account with no address records at all (made with `createsuperuser` or by staff in the admin) uses
    the address it signs in with, which only staff with two factors can change.
    """
    addresses = list(EmailAddress.objects.filter(user=user).values_list("email", "primary", "verified"))
    if not addresses:
        return user.email or None
    return next((email for email, primary, verified in addresses if primary and verified), None)


def enrolment_link_send(*, user: User, address: str) -> SecondFactorEnrolmentLink:
    """Email `address` a new one-time link that lets `user` set up an authenticator app.

    Every call is a new link with its own nonce, so its email has its own idempotency key; older links keep
    working until they expire or are used; the account's expired links are deleted. The caller checks the rate
    limit and that the account needs a link.
    """
    with transaction.atomic():
        # Expired links can never open again (their signature has expired too): only live ones are kept.
        SecondFactorEnrolmentLink.objects.filter(
            user=user, created_at__lt=timezone.now() - timedelta(seconds=LINK_MAX_AGE)
        ).delete()
        link = SecondFactorEnrolmentLink.objects.create(user=user)
        token = signing.dumps({"u": user.pk, "n": link.nonce.hex}, salt=LINK_SALT, compress=True)
        url = settings.SITE_URL + reverse("mfa_enrolment_link", kwargs={"token": token})
        services.email_queue_template(
            to=address,
            subject="Your link to set up two-factor authentication",
            template="core/mfa_enrolment",
            context={"name": user.get_full_name(), "url": url, "minutes": LINK_MAX_AGE // 60, "address": address},
            user=user,
            idempotency_key=f"mfa-enrolment-{user.pk}-{link.nonce.hex}",
        )
    return link


def enrolment_link_check(*, user: User, token: str) -> LinkRefusal | None:
    """Whether the link `token` would open for `user`, who is signed in: None if so, else why not.

    It opens only for the user it names, within LINK_MAX_AGE of being sent, and only if not used yet.
    """
    link, refusal = _link_find(user=user, token=token)
    if refusal is None and link.used_at is not None:
        return LinkRefusal.USED
    return refusal


def enrolment_link_redeem(*, user: User, token: str) -> LinkRefusal | None:
    """Use the link `token` for `user`: None when it opens (it is then used up), else why not.

    The rules of `enrolment_link_check`; the conditional update marks it used, so of two simultaneous clicks
    exactly one wins.
    """
    link, refusal = _link_find(user=user, token=token)
    if refusal is not None:
        return refusal
    used = SecondFactorEnrolmentLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now())
    return None if used else LinkRefusal.USED


def _link_find(*, user: User, token: str) -> tuple[SecondFactorEnrolmentLink | None, LinkRefusal | None]:
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        return None, LinkRefusal.EXPIRED
    except signing.BadSignature:
        return None, LinkRefusal.INVALID
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
        return None, LinkRefusal.INVALID
    if payload.get("u") != user.pk:
        return None, LinkRefusal.OTHER_ACCOUNT
    nonce = _uuid_or_none(payload["n"])
    link = SecondFactorEnrolmentLink.objects.filter(user=user, nonce=nonce).first() if nonce else None
    if link is None:
        return None, LinkRefusal.INVALID
    if link.created_at < timezone.now() - timedelta(seconds=LINK_MAX_AGE):
        return None, LinkRefusal.EXPIRED
    return link, None


def _uuid_or_none(value: str):
    import uuid

    try:
        return uuid.UUID(hex=value)
    except ValueError:
        return None


def enrolment_proof_store(*, session, user: User) -> None:
    """Remember in this session that `user` opened their link, for PROOF_MAX_AGE."""
    session[PROOF_SESSION_KEY] = {"u": user.pk, "until": time.time() + PROOF_MAX_AGE}


def enrolment_proof_valid(*, session, user: User) -> bool:
    proof = session.get(PROOF_SESSION_KEY)
    if not isinstance(proof, dict) or proof.get("u") != user.pk:
        return False
    return time.time() < float(proof.get("until") or 0)


def enrolment_proof_clear(*, session) -> None:
    session.pop(PROOF_SESSION_KEY, None)
