from django.apps import AppConfig


class HubsConfig(AppConfig):
    name = "hubs"
    verbose_name = "Hubs and network"

    def ready(self):
        from .network import admin, tasks  # noqa: F401
