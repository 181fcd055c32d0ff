"""Routes placed before allauth's under /accounts/: the same paths and names as allauth's, behind the
portal's rule that setting up a second factor takes more than the password (crossector/core/mfa_views.py)."""

from django.urls import path

from . import mfa_views

urlpatterns = [
    path("email/", mfa_views.email_addresses, name="account_email"),
    path("2fa/totp/activate/", mfa_views.activate_totp, name="mfa_activate_totp"),
    path("2fa/totp/deactivate/", mfa_views.deactivate_totp, name="mfa_deactivate_totp"),
    path("2fa/totp/email/", mfa_views.enrolment_email, name="mfa_enrolment_email"),
    path("2fa/totp/email/<str:token>/", mfa_views.enrolment_link_open, name="mfa_enrolment_link"),
    path("2fa/recovery-codes/", mfa_views.view_recovery_codes, name="mfa_view_recovery_codes"),
    path("2fa/recovery-codes/generate/", mfa_views.generate_recovery_codes, name="mfa_generate_recovery_codes"),
    path("2fa/recovery-codes/download/", mfa_views.download_recovery_codes, name="mfa_download_recovery_codes"),
]
