from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login

from crossector.core.decorators import profile_required

from .stash import stash_post


def applicant_required(view):
    """`profile_required`, except that a form posted after the session expired is kept, not lost."""
    inner = profile_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and request.method == "POST":
            token = stash_post(request)
            return redirect_to_login(f"{request.path}?{urlencode({'restore': token})}")
        return inner(request, *args, **kwargs)

    return wrapper
