"""Drill 5: two Celery beat processes started by mistake.

Reminders are arranged to fall due one wave after another while two beats run side by side, each
sending the event-reminder and deadline-reminder sweeps every SWEEP_EVERY seconds (periodic tasks added
to django_celery_beat's table for the drill, as staff could in the admin; production runs them every
5 and 15 minutes), to two workers, so sweeps overlap. Goals: every due reminder reaches the sink
exactly once; none goes to people waiting or who have submitted.
"""

import json
import os
from datetime import timedelta

from . import stack
from .harness import Drill, fmt_counts, status_counts
from .stack import log

EVENTS = int(os.environ.get("DRILL_BEATS_EVENTS", "4"))
PER_EVENT = int(os.environ.get("DRILL_BEATS_PER_EVENT", "10"))
CALLS = int(os.environ.get("DRILL_BEATS_CALLS", "3"))
PER_CALL = int(os.environ.get("DRILL_BEATS_PER_CALL", "8"))
WAVE = float(os.environ.get("DRILL_BEATS_WAVE", "10"))
SWEEP_EVERY = float(os.environ.get("DRILL_BEATS_SWEEP_EVERY", "3"))
RUN_FOR = float(os.environ.get("DRILL_BEATS_RUN_FOR", "60"))


def _arrange(drill: Drill, lead: float):
    """Bookings and drafts whose reminders fall due in waves `lead`, lead + WAVE, ... seconds from now."""
    from django.utils import timezone

    from awards.models import Application
    from events.models import Booking
    from tests.awards.factories import AwardCallFactory, application

    now = timezone.now()
    events = []
    for k in range(EVENTS):
        (event,) = drill.events(
            1, capacity=PER_EVENT, starts_in=timedelta(hours=24, seconds=lead + k * WAVE), prefix=f"wave{k}"
        )
        people = drill.people(PER_EVENT + 2, f"attendee{k}-")
        Booking.objects.bulk_create(
            [Booking(event=event, user=u, status="confirmed", sector="nhs") for u in people[:PER_EVENT]]
            + [Booking(event=event, user=u, status="waitlisted", sector="nhs") for u in people[PER_EVENT:]]
        )
        events.append(event)
    drill.events(1, capacity=5, starts_in=timedelta(days=3), prefix="later")  # not due: no reminder
    drafts = []
    for k in range(CALLS):
        call = AwardCallFactory(
            slug=f"wave-call-{k}", closes_at=now + timedelta(days=1, seconds=lead + k * WAVE), reminder_offsets=[1]
        )
        people = drill.people(PER_CALL + 2, f"applicant{k}-")
        drafts += [application(call=call, applicant=u) for u in people[:PER_CALL]]
        for u in people[PER_CALL:]:
            app = application(call=call, applicant=u)
            Application.objects.filter(pk=app.pk).update(
                status=Application.Status.SUBMITTED, submitted_at=now, reference=f"DRILL-{app.pk}"
            )
    return events, drafts


def _drill_schedule() -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every, _ = IntervalSchedule.objects.get_or_create(every=int(SWEEP_EVERY), period=IntervalSchedule.SECONDS)
    for name, task in (
        ("drill-event-reminders", "events.tasks.event_reminders_sweep"),
        ("drill-deadline-reminders", "awards.tasks.deadline_reminders_sweep"),
    ):
        PeriodicTask.objects.create(name=name, task=task, interval=every, kwargs=json.dumps({}))


def main() -> dict:
    drill = Drill("beats")
    run = drill.run
    from django.db import close_old_connections

    from crossector.core.models import OutboundEmail

    lead = 25.0  # time to start the stack before the first wave falls due
    events, drafts = _arrange(drill, lead)
    _drill_schedule()
    stack.redis_start(run)
    stack.sink_start(run)
    stack.gunicorn_start(run, drill.env)
    stack.worker_start(run, drill.env, "worker")
    stack.worker_start(run, drill.env, "worker2")
    stack.beat_start(run, drill.env, "beat")
    stack.beat_start(run, drill.env, "beat2")
    log(f"two beats running; {EVENTS} event waves and {CALLS} deadline waves every {WAVE:.0f} s")
    load, out = drill.start_load(
        drill.browse_jobs(["/", "/events/", f"/events/{events[0].slug}/", "/awards/"], duration=RUN_FOR, every=0.5),
        threads=2,
    )
    results = drill.wait_load(load, out)
    run.kill("beat")
    run.kill("beat2")

    reminders = lambda: OutboundEmail.objects.filter(idempotency_key__contains="-reminder")  # noqa: E731
    delivered, _ = drill.wait_delivered(timeout=180, query=reminders)
    close_old_connections()
    keys = set(reminders().values_list("idempotency_key", flat=True))
    booking_keys = {k for k in keys if k.startswith("booking-")}
    draft_keys = {k for k in keys if k.startswith("application-")}
    expected_booking = EVENTS * PER_EVENT
    expected_draft = len(drafts)
    # "application-<id>-reminder-1-<closing time>": one 1-day reminder per draft (the key names the deadline too).
    right_people = {k.split("-reminder-1-")[0] for k in draft_keys} == {f"application-{a.pk}" for a in drafts}
    beat_sends = [
        stack.log_text(run, b).count("Sending due task drill-event-reminders")
        + stack.log_text(run, b).count("Sending due task drill-deadline-reminders")
        for b in ("beat", "beat2")
    ]
    sweeps = sum(stack.log_text(run, w).count("_sweep[") // 2 for w in ("worker", "worker2"))
    errors = sum(1 for r in results if r["status"] >= 500 or r["status"] == 0)
    passed = (
        all(n > 0 for n in beat_sends)
        and len(booking_keys) == expected_booking
        and len(draft_keys) == expected_draft
        and right_people
        and delivered["lost"] == 0
        and delivered["duplicated"] == 0
        and delivered["unsent"] == 0
        and errors == 0
    )
    return drill.finish(
        {
            "drill": "5. Two beat processes",
            "load": (
                f"2 beats × 2 sweeps every {SWEEP_EVERY:.0f} s for {RUN_FOR:.0f} s, 2 workers; {EVENTS} events × "
                f"{PER_EVENT} confirmed (+2 waiting each), {CALLS} calls × {PER_CALL} drafts (+2 submitted each) "
                f"falling due in {WAVE:.0f} s waves; browsing"
            ),
            "checked": "sink: each due reminder exactly once; none to waiting or submitted people",
            "figures": (
                f"sweeps sent by beat 1 / beat 2: {beat_sends[0]} / {beat_sends[1]}, run by workers: {sweeps}; event "
                f"reminders {len(booking_keys)}/{expected_booking}, deadline reminders {len(draft_keys)}/"
                f"{expected_draft}; received {delivered['received']}/{delivered['expected']}, lost "
                f"{delivered['lost']}, duplicated {delivered['duplicated']}; "
                f"browsing {fmt_counts(status_counts(results))}"
            ),
            "passed": passed,
            "notes": f"drill periodic tasks every {SWEEP_EVERY:.0f} s (production 300 s and 900 s)",
        }
    )


if __name__ == "__main__":
    main()
