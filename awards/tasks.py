from celery import shared_task

from . import services


@shared_task(acks_late=True)
def deadline_reminders_sweep() -> int:
    return services.deadline_reminders_send()


@shared_task(acks_late=True)
def call_open_notices_sweep() -> int:
    return services.call_open_notices_send()
