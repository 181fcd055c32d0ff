"""Drill 1: Redis stopped for 30 s in the middle of a booking load.

Redis is both the Celery broker and the cache (allauth's rate-limit counters). Signed-in people book
several events each while others browse and sign in; Redis is stopped (and comes back empty, as a
Redis without persistence does, so messages queued before the stop are lost too). Goals: no request
answers 5xx, every booking has its email row, and after Redis returns the outbox sweep delivers every
email: 0 lost, 0 duplicated.
"""

import os
import signal
import time

from . import stack
from .harness import Drill, fmt_counts, status_counts
from .stack import log

PEOPLE = int(os.environ.get("DRILL_REDIS_PEOPLE", "80"))
EVENTS = int(os.environ.get("DRILL_REDIS_EVENTS", "5"))
CAPACITY = int(os.environ.get("DRILL_REDIS_CAPACITY", "50"))
DURATION = float(os.environ.get("DRILL_REDIS_DURATION", "70"))
DOWN_AT = float(os.environ.get("DRILL_REDIS_DOWN_AT", "20"))
DOWN_FOR = float(os.environ.get("DRILL_REDIS_DOWN_FOR", "30"))
STALE = 20  # OUTBOX_STALE_AFTER_SECONDS for this drill (production: 300)
LOGIN_PASSWORD = "drill-password-for-sign-in-1"


def main() -> dict:
    drill = Drill("redis", OUTBOX_STALE_AFTER_SECONDS=STALE)
    run = drill.run
    from crossector.core.models import OutboundEmail
    from events.models import Booking

    users = drill.people(PEOPLE, "booker")
    signers = drill.people(3, "signer")
    for user in signers:
        user.set_password(LOGIN_PASSWORD)
        user.save(update_fields=["password"])
    events = drill.events(EVENTS, capacity=CAPACITY)
    cookies = [drill.session(u) for u in users]

    stack.redis_start(run)
    stack.sink_start(run)
    stack.gunicorn_start(run, drill.env)
    stack.worker_start(run, drill.env)
    stack.beat_start(run, drill.env)

    slugs = [e.slug for e in events]
    jobs = drill.booking_jobs(cookies, slugs, duration=DURATION, retry=False)
    jobs += drill.browse_jobs(["/", "/events/", f"/events/{slugs[0]}/", "/hubs/"], duration=DURATION, every=0.5)
    csrf = "drillsignincsrftoken0123456789ab"
    jobs += [
        {
            "at": t,
            "kind": "sign-in",
            "method": "POST",
            "path": "/accounts/login/",
            "cookie": f"csrftoken={csrf}",
            "csrf": csrf,
            "data": {"csrfmiddlewaretoken": csrf, "login": signers[i % 3].email, "password": LOGIN_PASSWORD},
        }
        for i, t in enumerate(range(1, int(DURATION), 3))
    ]
    log(f"load: {len(jobs)} requests over {DURATION:.0f} s; Redis stops at {DOWN_AT:.0f} s for {DOWN_FOR:.0f} s")
    load, out = drill.start_load(jobs, threads=8)
    time.sleep(DOWN_AT)
    run.kill("redis", signal.SIGTERM)
    down_at = time.monotonic()
    log("Redis stopped")
    time.sleep(DOWN_FOR)
    stack.redis_start(run)
    back_at = time.monotonic()
    log(f"Redis back after {back_at - down_at:.1f} s (empty)")
    results = drill.wait_load(load, out)

    bookings = list(Booking.objects.values_list("pk", "status"))
    keys = set(OutboundEmail.objects.values_list("idempotency_key", flat=True))
    missing_rows = [pk for pk, status in bookings if f"booking-{pk}-{status}" not in keys]
    delivered, waited = drill.wait_delivered(timeout=240)
    not_queued = stack.log_text(run, "gunicorn").count("Could not hand email")

    book = status_counts(results, "book")
    browse = status_counts(results, "browse")
    signin = status_counts(results, "sign-in")
    fivexx = sum(1 for r in results if r["status"] >= 500 or r["status"] == 0)
    outage = [r for r in results if DOWN_AT <= r["t"] <= DOWN_AT + DOWN_FOR]
    worst = max((r["latency"] for r in outage), default=0)
    expected_bookings = PEOPLE * EVENTS
    passed = (
        fivexx == 0
        and len(bookings) == expected_bookings
        and not missing_rows
        and delivered["lost"] == 0
        and delivered["duplicated"] == 0
        and delivered["unsent"] == 0
    )
    return drill.finish(
        {
            "drill": "1. Redis stopped during a booking load",
            "load": (
                f"{PEOPLE} signed-in people × {EVENTS} events ({len(results)} requests incl. browsing and "
                f"{sum(signin.values())} sign-ins) over {DURATION:.0f} s, 8 threads; Redis down {DOWN_FOR:.0f} s"
            ),
            "checked": "status codes; a booking ⇔ its email row; sink: every outbox row received exactly once",
            "figures": (
                f"booking POSTs {fmt_counts(book)}; browsing {fmt_counts(browse)}; sign-in {fmt_counts(signin)}; "
                f"5xx/refused: {fivexx}; slowest request while down {worst:.2f} s; bookings {len(bookings)}/"
                f"{expected_bookings}, without email row {len(missing_rows)}; emails not handed to Redis at commit "
                f"{not_queued}; delivered {delivered['received']}/{delivered['expected']}, lost {delivered['lost']}, "
                f"duplicated {delivered['duplicated']}, all sent {waited:.0f} s after the load ended"
            ),
            "passed": passed,
            "notes": f"OUTBOX_STALE_AFTER_SECONDS={STALE} (production 300); outbox sweep every 60 s as in production",
        }
    )


if __name__ == "__main__":
    main()
