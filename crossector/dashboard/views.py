from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse


def dashboard(request):
    if not request.user.has_perm("awards.view_application"):
        raise PermissionDenied
    return TemplateResponse(request, "admin/dashboard.html", {})
