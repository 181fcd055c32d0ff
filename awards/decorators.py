from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login

from crossector.core.decorators import profile_required

from .stash import StashRefused, stash_post


def applicant_required(view):
    """`profile_required`, except that a form posted after the session expired is kept, not lost.

    It is kept for this browser only and within the stash's bounds (awards/stash.py); when it cannot be
    kept the sign-in page says so, rather than pretending.
    """
    inner = profile_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and request.method == "POST":
            try:
                token = stash_post(request)
            except StashRefused as refused:
                messages.error(request, refused.message)
                return redirect_to_login(request.path)
            # Said on the sign-in page, so nobody retypes (or gives up on) an answer that is safe.
            messages.info(
                request,
                "You were signed out, but what you typed is safe: sign in and it will be back on the page "
                "for you to check and save. We keep it for 24 hours.",
            )
            return redirect_to_login(f"{request.path}?{urlencode({'restore': token})}")
        return inner(request, *args, **kwargs)

    return wrapper
