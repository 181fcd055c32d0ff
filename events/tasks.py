from celery import shared_task

from . import services


@shared_task(acks_late=True)
def event_reminders_sweep() -> int:
    """Beat runs this every few minutes; the service makes it safe to run late, often or twice at once."""
    return services.reminders_send_due()
