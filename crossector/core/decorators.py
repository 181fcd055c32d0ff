from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse


def profile_required(view):
    """Signed in with a complete profile (sector and region are recorded with bookings and applications)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        profile = getattr(request.user, "profile", None)
        if profile is None or not profile.is_complete:
            messages.info(request, "Please complete your profile first. You will come straight back here.")
            return redirect(f"{reverse('profile')}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper
