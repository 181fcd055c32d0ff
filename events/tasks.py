import time

from celery import shared_task

from . import services

# A sweep keeps taking batches until nothing is due or this much time has passed, well inside
# CELERY_TASK_SOFT_TIME_LIMIT; the next beat run (five minutes later) carries on from there.
SWEEP_BUDGET_SECONDS = 45


@shared_task(acks_late=True)
def event_reminders_sweep() -> int:
    """Beat runs this every few minutes; the service makes it safe to run late, often or twice at once.

    One batch of 500 per run would leave 10,000 reminders due tomorrow 100 minutes in the making
    (docs/performance.md), so the sweep takes batches, each its own transaction, until none is full."""
    stop_at = time.monotonic() + SWEEP_BUDGET_SECONDS
    total = 0
    while True:
        sent = services.reminders_send_due(limit=services.REMINDER_BATCH)
        total += sent
        if sent < services.REMINDER_BATCH or time.monotonic() >= stop_at:
            return total
