"""Error reporting to Sentry, switched on by SENTRY_DSN (settings.py), with nothing personal attached.

Sentry gets the exception, the stack, the URL pattern's view and the request id (to find the request's log
lines); not cookies, headers that identify, the request body, local variables (a form's values, an email
address) or the user: `send_default_pii`, `max_request_body_size` and `include_local_variables` say so.
"""

from __future__ import annotations

from structlog.contextvars import get_contextvars


def _with_request_id(event, hint):
    values = get_contextvars()
    tags = event.setdefault("tags", {})
    for name in ("request_id", "task", "task_id"):
        if values.get(name):
            tags[name] = values[name]
    return event


def sentry_init(
    *, dsn: str, environment: str, release: str | None, traces_sample_rate: float = 0.0, transport=None
) -> None:
    """Start the Sentry client for Django and Celery errors; `transport` lets tests keep the events."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=_with_request_id,
        transport=transport,
    )
