"""Drill 2: the Celery worker killed with SIGKILL in the middle of sending 1,000 emails, then restarted.

The load process makes 1,000 bookings over HTTP (200 people × 5 events), each writing its confirmation
to the outbox; the worker sends them to a slow SMTP sink. When the sink has received KILL_AT messages,
the worker's whole process group (main process and pool) gets SIGKILL, as on an out-of-memory kill or
a lost machine, and a new worker starts a few seconds later. Goals: 0 lost; at most the messages in
flight duplicated, and exactly how many is reported.
"""

import os
import signal
import time

from . import stack
from .harness import Drill, fmt_counts, status_counts
from .stack import log

PEOPLE = int(os.environ.get("DRILL_WORKER_PEOPLE", "200"))
EVENTS = int(os.environ.get("DRILL_WORKER_EVENTS", "5"))
DURATION = float(os.environ.get("DRILL_WORKER_DURATION", "40"))
KILL_AT = int(os.environ.get("DRILL_WORKER_KILL_AT", "400"))
SINK_DELAY = float(os.environ.get("DRILL_WORKER_SINK_DELAY", "0.05"))
TIMEOUTS = 30  # OUTBOX_SENDING_TIMEOUT_SECONDS and OUTBOX_STALE_AFTER_SECONDS here (production: 900 and 300)


def main() -> dict:
    drill = Drill("worker", OUTBOX_SENDING_TIMEOUT_SECONDS=TIMEOUTS, OUTBOX_STALE_AFTER_SECONDS=TIMEOUTS)
    run = drill.run
    from django.db import close_old_connections

    from crossector.core.models import OutboundEmail

    users = drill.people(PEOPLE, "booker")
    events = drill.events(EVENTS, capacity=PEOPLE)
    cookies = [drill.session(u) for u in users]

    stack.redis_start(run)
    stack.sink_start(run, delay=SINK_DELAY)
    stack.gunicorn_start(run, drill.env)
    stack.worker_start(run, drill.env)
    stack.beat_start(run, drill.env)

    jobs = drill.booking_jobs(cookies, [e.slug for e in events], duration=DURATION, retry=False)
    log(f"load: {len(jobs)} bookings over {DURATION:.0f} s; SIGKILL the worker at {KILL_AT} emails received")
    load, out = drill.start_load(jobs, threads=8)
    stack.wait_for(lambda: len(drill.sink_records()) >= KILL_AT, "sink count", timeout=600, interval=0.05)
    run.kill("worker", signal.SIGKILL)
    killed_at = time.monotonic()
    received_at_kill = len(drill.sink_records())
    close_old_connections()
    in_flight = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING).count()
    log(f"worker killed with SIGKILL: sink had {received_at_kill}, rows in 'sending' {in_flight}")
    time.sleep(5)
    stack.worker_start(run, drill.env)
    log("new worker started")
    results = drill.wait_load(load, out)
    delivered, waited = drill.wait_delivered(timeout=400)
    recovered = time.monotonic() - killed_at

    book = status_counts(results, "book")
    errors = sum(1 for r in results if r["status"] >= 500 or r["status"] == 0)
    total = OutboundEmail.objects.count()
    passed = (
        errors == 0
        and total == PEOPLE * EVENTS
        and delivered["lost"] == 0
        and delivered["unsent"] == 0
        and delivered["duplicated"] <= max(in_flight, 1)
    )
    return drill.finish(
        {
            "drill": "2. Celery worker killed (SIGKILL) mid-send",
            "load": (
                f"{PEOPLE * EVENTS} bookings over HTTP in {DURATION:.0f} s → {total} emails; sink answers in "
                f"{SINK_DELAY * 1000:.0f} ms; worker --concurrency={stack.CELERY_CONCURRENCY}"
            ),
            "checked": "sink: every outbox row received; duplicates counted by X-Outbox-Id; rows all sent",
            "figures": (
                f"booking POSTs {fmt_counts(book)}; killed at {received_at_kill} received, {in_flight} row(s) "
                f"'sending' at the kill; delivered {delivered['received']}/{delivered['expected']}, lost "
                f"{delivered['lost']}, duplicated {delivered['duplicated']}; all sent {recovered:.0f} s after the kill"
            ),
            "passed": passed,
            "notes": (
                f"OUTBOX_SENDING_TIMEOUT_SECONDS and OUTBOX_STALE_AFTER_SECONDS={TIMEOUTS} (production 900/300), "
                "so the sweep (every 60 s) hands back the rows the dead worker had claimed within the drill"
            ),
        }
    )


if __name__ == "__main__":
    main()
