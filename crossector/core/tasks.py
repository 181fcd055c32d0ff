from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_email(self, email_id: int) -> bool:
    result = services.email_send(email_id=email_id)
    if result.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=result.retry_in)
    return result.sent


@shared_task(acks_late=True)
def outbox_sweep() -> int:
    return len(services.outbox_requeue_stale())


@shared_task(acks_late=True)
def privacy_retention_sweep() -> dict[str, int]:
    from .retention import retention_run

    return retention_run()
