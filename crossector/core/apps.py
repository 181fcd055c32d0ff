from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "crossector.core"
    label = "core"
    verbose_name = "Portal core"
