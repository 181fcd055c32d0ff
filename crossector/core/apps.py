from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "crossector.core"
    label = "core"
    verbose_name = "Portal core"

    def ready(self):
        from .caching import connect_signals

        connect_signals()
