from celery import shared_task

from . import services


@shared_task(name="hubs.network.tasks.matchmaking_digest_sweep")
def matchmaking_digest_sweep() -> int:
    """Hourly: queue the 'people to meet' digests that are now due (idempotent, see the service)."""
    return services.matchmaking_digests_send()
