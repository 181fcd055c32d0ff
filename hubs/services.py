"""Writes for hubs: following a hub, and leaving it again from the page or from an email."""

from django.core import signing
from django.db import IntegrityError, transaction

from crossector.core.models import User

from .models import Hub, HubFollow

UNFOLLOW_SALT = "hubs.unfollow"


def hub_follow(*, hub: Hub, user: User) -> HubFollow:
    """Follow a hub once. Following again (a double click, a second tab) returns the existing follow."""
    if not hub.is_active:
        raise ValueError("Only active hubs can be followed.")
    try:
        with transaction.atomic():
            follow, _ = HubFollow.objects.get_or_create(hub=hub, user=user)
    except IntegrityError:  # two requests raced past get_or_create; the constraint kept one row
        follow = HubFollow.objects.get(hub=hub, user=user)
    return follow


def hub_unfollow(*, hub: Hub, user: User) -> bool:
    """Stop following; True if there was a follow to remove."""
    deleted, _ = HubFollow.objects.filter(hub=hub, user=user).delete()
    return bool(deleted)


def hub_unfollow_token(*, hub: Hub, user: User) -> str:
    """A signed token for the unfollow link in emails: it names the hub and person and cannot be forged."""
    return signing.dumps({"h": hub.pk, "u": user.pk}, salt=UNFOLLOW_SALT, compress=True)


def hub_unfollow_by_token(*, token: str) -> Hub | None:
    """Unfollow from an email link without signing in. Returns the hub, or None for a bad token.

    The token does not expire: an unsubscribe link must keep working however old the email is.
    """
    found = hub_unfollow_token_read(token=token)
    if found is None:
        return None
    hub, user_id = found
    HubFollow.objects.filter(hub=hub, user_id=user_id).delete()
    return hub


def hub_unfollow_token_read(*, token: str) -> tuple[Hub, int] | None:
    """(hub, user id) named by a genuine unfollow token, or None for a forged or mangled one."""
    try:
        data = signing.loads(token, salt=UNFOLLOW_SALT)
        return Hub.objects.get(pk=data["h"]), int(data["u"])
    except (signing.BadSignature, Hub.DoesNotExist, KeyError, TypeError, ValueError):
        return None
