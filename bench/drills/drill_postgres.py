"""Drill 4: PostgreSQL restarted under load.

People book events, browse, and applicants submit complete award applications while PostgreSQL is
stopped (fast shutdown, which ends every open session and rolls back open transactions) and started
again after DOWN_FOR seconds. Like people, the load sends a refused booking or submission again 2 s
later. Goals: while it is down every request fails cleanly (503 "unavailable" page, no traceback, no
500); the portal recovers by itself (same gunicorn master, Celery worker and beat: CONN_HEALTH_CHECKS
drops dead connections); afterwards nothing is half-written: each booking has its email row, no event
is over capacity, each submitted application has its reference, history and receipt, and every email
is delivered once.
"""

import os
import time
from pathlib import Path

from . import stack
from .harness import Drill, fmt_counts, status_counts
from .stack import log

PEOPLE = int(os.environ.get("DRILL_PG_PEOPLE", "60"))
EVENTS = int(os.environ.get("DRILL_PG_EVENTS", "4"))
CAPACITY = int(os.environ.get("DRILL_PG_CAPACITY", "40"))
APPLICANTS = int(os.environ.get("DRILL_PG_APPLICANTS", "20"))
DURATION = float(os.environ.get("DRILL_PG_DURATION", "50"))
DOWN_AT = float(os.environ.get("DRILL_PG_DOWN_AT", "15"))
DOWN_FOR = float(os.environ.get("DRILL_PG_DOWN_FOR", "10"))
TIMEOUTS = 30  # OUTBOX_STALE_AFTER_SECONDS / OUTBOX_SENDING_TIMEOUT_SECONDS here (production 300 / 900)


def _drafts(drill: Drill, n: int):
    from tests.awards.factories import AwardCallFactory, application, complete

    call = AwardCallFactory(slug="drill-call")
    return call, [complete(application(call=call, applicant=u)) for u in drill.people(n, "applicant")]


def main() -> dict:
    drill = Drill("postgres", OUTBOX_STALE_AFTER_SECONDS=TIMEOUTS, OUTBOX_SENDING_TIMEOUT_SECONDS=TIMEOUTS)
    run = drill.run
    pg_data = run.pg_data or Path(os.environ["DRILLS_PG_DATA"])
    from django.db import close_old_connections, connection
    from django.db.models import Count, Q

    from awards.models import Application, ApplicationEvent
    from crossector.core.models import OutboundEmail
    from events.models import Booking, Event

    users = drill.people(PEOPLE, "booker")
    events = drill.events(EVENTS, capacity=CAPACITY)
    call, drafts = _drafts(drill, APPLICANTS)
    stack.redis_start(run)
    stack.sink_start(run)
    stack.gunicorn_start(run, drill.env)
    stack.worker_start(run, drill.env)
    stack.beat_start(run, drill.env)
    pids = {name: run.procs[name].pid for name in ("gunicorn", "worker", "beat")}

    jobs = drill.booking_jobs(
        [drill.session(u) for u in users], [e.slug for e in events], duration=DURATION, retry=True
    )
    jobs += drill.browse_jobs(["/", "/events/", f"/events/{events[0].slug}/", "/awards/"], duration=DURATION, every=0.3)
    step = (DURATION - 10) / APPLICANTS
    for i, app in enumerate(drafts):
        cookie, csrf = drill.session(app.applicant)
        data = {"csrfmiddlewaretoken": csrf, "declare_accurate": "on", "declare_employer_agrees": "on"}
        data.update(declare_data_use="on", submit="")
        jobs.append(
            {
                "at": 5 + i * step,
                "kind": "submit",
                "method": "POST",
                "path": f"/awards/{call.slug}/apply/check/",
                "cookie": cookie,
                "csrf": csrf,
                "data": data,
                "retry": True,
            }
        )
    connection.close()
    log(f"load: {len(jobs)} requests over {DURATION:.0f} s; PostgreSQL stops at {DOWN_AT:.0f} s for {DOWN_FOR:.0f} s")
    load, out = drill.start_load(jobs, threads=8)
    started = time.monotonic()
    time.sleep(DOWN_AT)
    stack.pg_stop(pg_data, mode="fast")
    down = time.monotonic() - started
    log("PostgreSQL stopped (fast shutdown)")
    time.sleep(DOWN_FOR)
    stack.pg_start(pg_data)
    up = time.monotonic() - started
    log(f"PostgreSQL started again after {up - down:.1f} s")
    results = drill.wait_load(load, out)
    alive = {name: run.procs[name].poll() is None and run.procs[name].pid == pid for name, pid in pids.items()}
    close_old_connections()
    delivered, waited = drill.wait_delivered(timeout=240)

    # End state: nothing half-written.
    bookings = list(Booking.objects.values_list("pk", "status", "event_id", "user_id"))
    keys = set(OutboundEmail.objects.values_list("idempotency_key", flat=True))
    without_email = sum(1 for pk, status, _, _ in bookings if f"booking-{pk}-{status}" not in keys)
    over_capacity = Event.objects.annotate(n=Count("bookings", filter=Q(bookings__status="confirmed"))).filter(
        n__gt=CAPACITY
    )
    doubles = len(bookings) - len({(e, u) for _, s, e, u in bookings if s != "cancelled"})
    submitted = Application.objects.filter(call=call, status=Application.Status.SUBMITTED)
    half_submitted = sum(
        1
        for a in submitted
        if not (a.reference and a.submitted_at)
        or f"application-{a.pk}-receipt" not in keys
        or not ApplicationEvent.objects.filter(application=a).exists()
    )
    stray_receipts = sum(
        1
        for a in Application.objects.exclude(status=Application.Status.SUBMITTED)
        if f"application-{a.pk}-receipt" in keys
    )
    references = list(submitted.values_list("reference", flat=True))

    during = [r for r in results if down <= r["t"] <= up + 1]
    after = [r for r in results if r["t"] > up + 1]
    first_ok = min((r["t"] - up for r in after if r["status"] in (200, 302)), default=None)
    failed_after = sum(1 for r in results if r["t"] > up + 5 and r["status"] not in (200, 302))
    five_hundreds = sum(1 for r in results if r["status"] == 500 or r["status"] == 0)
    tracebacks = sum(1 for r in results if r.get("traceback"))
    retried = sum(1 for r in results if r["attempt"] > 1)
    passed = (
        five_hundreds == 0
        and tracebacks == 0
        and all(alive.values())
        and failed_after == 0
        and len(bookings) == PEOPLE * EVENTS
        and without_email == 0
        and not over_capacity.exists()
        and doubles == 0
        and submitted.count() == APPLICANTS
        and half_submitted == 0
        and stray_receipts == 0
        and len(set(references)) == len(references)
        and delivered["lost"] == 0
        and delivered["unsent"] == 0
    )
    return drill.finish(
        {
            "drill": "4. PostgreSQL restarted under load",
            "load": (
                f"{PEOPLE} people × {EVENTS} events booking, browsing every 0.3 s, {APPLICANTS} submissions, over "
                f"{DURATION:.0f} s, 8 threads; PostgreSQL down {DOWN_FOR:.0f} s"
            ),
            "checked": "status codes and bodies; same processes; bookings, applications and emails after",
            "figures": (
                f"all requests {fmt_counts(status_counts(results))} (while down: {fmt_counts(status_counts(during))}); "
                f"500/refused {five_hundreds}, tracebacks {tracebacks}; sent again after a 503: {retried}; first "
                f"success {first_ok if first_ok is None else round(first_ok, 1)} s after start, non-success later "
                f"than 5 s after: {failed_after}; gunicorn/worker/beat same processes: "
                f"{'yes' if all(alive.values()) else alive}; bookings {len(bookings)}/{PEOPLE * EVENTS}, without "
                f"email row {without_email}, over capacity {over_capacity.count()}, doubles {doubles}; submitted "
                f"{submitted.count()}/{APPLICANTS}, half-written {half_submitted}, stray receipts {stray_receipts}; "
                f"emails delivered {delivered['received']}/{delivered['expected']}, lost {delivered['lost']}, "
                f"duplicated {delivered['duplicated']}"
            ),
            "passed": passed,
            "notes": f"OUTBOX_STALE_AFTER_SECONDS / OUTBOX_SENDING_TIMEOUT_SECONDS={TIMEOUTS} (production 300/900)",
        }
    )


if __name__ == "__main__":
    main()
