from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "crossector.core"
    label = "core"
    verbose_name = "Portal core"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy checks)
        from .logs import structlog_configure  # importing it connects the Celery signals carrying the request id

        structlog_configure()
        from .caching import connect_signals

        connect_signals()
