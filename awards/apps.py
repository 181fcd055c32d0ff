from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reviewers_group(sender, **kwargs):
    # After every migrate (and every flush of a test database), so the group exists without seeding.
    from .review.permissions import reviewers_group_ensure

    reviewers_group_ensure()


class AwardsConfig(AppConfig):
    name = "awards"
    verbose_name = "Cross-Sector Experience Awards"

    def ready(self):
        post_migrate.connect(_reviewers_group, sender=self, dispatch_uid="awards-reviewers-group")
