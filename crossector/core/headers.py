"""Security headers Django and django-csp do not set themselves."""

from django.conf import settings


class PermissionsPolicyMiddleware:
    """Adds `Permissions-Policy`: the portal needs no camera, microphone, location, payment or USB access.

    The features and their allow-lists come from `settings.PERMISSIONS_POLICY`; an empty list means
    "nobody", written as `feature=()`.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})" for feature, origins in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
