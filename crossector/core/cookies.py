"""Every cookie the portal sets, and every key its scripts keep in the browser, declared once.

The privacy notice's cookie section is rendered from `cookies()` and `LOCAL_STORAGE`, and the lifetimes come
from the settings that set them, so the notice cannot say "2 weeks" while the setting says otherwise. The
sign-in session's limit (`session_limit`) is the same words in the cookie list and the retention table.
tests/core/test_privacy_by_kind.py collects the cookies a person's journey actually receives (sign-up,
sign-in, two-factor, booking, forms, deletion) and compares their names with this list, so a new cookie fails
until it is declared here, and so shows in the notice.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    lifetime: str


def duration(seconds: int) -> str:
    """A cookie's age as people say it: "2 weeks", "1 year", "3 days"."""
    days = seconds // 86400
    if days >= 364:
        years = round(days / 365)
        return f"{years} year{'s' if years != 1 else ''}"
    if days and days % 7 == 0:
        weeks = days // 7
        return f"{weeks} week{'s' if weeks != 1 else ''}"
    return f"{days} day{'s' if days != 1 else ''}"


def session_limit() -> str:
    """How long a sign-in can last unused: Django renews the session's expiry whenever it changes, at most
    SESSION_COOKIE_AGE after the last use."""
    return f"at most {duration(settings.SESSION_COOKIE_AGE)} after you last used the portal"


def cookies() -> list[Cookie]:
    from django.contrib.messages.storage.cookie import CookieStorage

    from .adapters import DEVICE_COOKIE, DEVICE_MAX_AGE

    return [
        Cookie(
            settings.SESSION_COOKIE_NAME,
            "a session cookie, which keeps you signed in as you move between pages",
            f'until you sign out, or close your browser if you did not tick "Remember me"; {session_limit()}',
        ),
        Cookie(
            settings.CSRF_COOKIE_NAME,
            "protects the forms you submit against forgery (CSRF); it holds no information about you",
            duration(settings.CSRF_COOKIE_AGE),
        ),
        Cookie(
            CookieStorage.cookie_name,
            'carries a one-line confirmation (such as "Your place is booked" or "You have signed in") to the next '
            "page you see; it never holds your email address",
            "deleted as soon as the message has been shown",
        ),
        Cookie(
            DEVICE_COOKIE,
            "set when you sign in, so that someone trying to guess your password elsewhere cannot lock this "
            "browser out; it holds a random number and scrambled (hashed) forms of your account's email addresses",
            f"{duration(DEVICE_MAX_AGE)}, or until you delete your account (from the browser you delete it in)",
        ),
    ]


# Kept by the admin's scripts in the browser's local storage, never sent to the portal.
LOCAL_STORAGE = (
    ("theme", "the admin's colour theme"),
    ("django.admin.navSidebarIsOpen", "whether the admin's side menu is open"),
)
