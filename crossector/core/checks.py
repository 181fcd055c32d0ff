"""Deploy checks (`manage.py check --deploy`): settings that would leak or lose personal information.

EMAIL_URL defaults to `consolemail://` so that a fresh clone works without a mail server; left unset in
production, every email body (booking confirmations, application receipts, password-reset links) would be
printed to the server log. Django's own deploy checks say nothing about it, so this one does.
"""

from django.conf import settings
from django.core import checks

# Backends that do not deliver mail, and what each one does with it instead.
UNDELIVERED_EMAIL = {
    "django.core.mail.backends.console.EmailBackend": "prints every email, with its body, to the server log",
    "django.core.mail.backends.filebased.EmailBackend": "writes every email, with its body, to files on the server",
    "django.core.mail.backends.locmem.EmailBackend": "keeps every email in memory and never sends it",
    "django.core.mail.backends.dummy.EmailBackend": "drops every email",
}


@checks.register(checks.Tags.security, deploy=True)
def email_backend_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """With DEBUG off, email must be delivered: a console, file, memory or dummy backend is an error."""
    if settings.DEBUG:
        return []
    does = UNDELIVERED_EMAIL.get(settings.EMAIL_BACKEND)
    if does is None:
        return []
    return [
        checks.Error(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND} with DEBUG off: it {does}, so nobody receives their "
            "confirmations and the personal information in them goes where it should not.",
            hint="Set EMAIL_URL to the mail server, e.g. smtp+tls://user:password@smtp-host:587 (docs/deployment.md).",
            id="core.E001",
        )
    ]
