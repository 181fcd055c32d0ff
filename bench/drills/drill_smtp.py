"""Drill 3: the SMTP server down for several minutes.

The sink is stopped before any email is sent. A first batch of bookings is made at once (its emails
exhaust their attempts while the server is down), a second batch shortly before the server returns
(its emails still have attempts left). The backoff is shortened through the environment for the
drill: OUTBOX_RETRY_BASE_SECONDS=5 (production 60), so attempts come 5, 10, 20, 40, 80 s apart instead
of 1, 2, 4, 8, 16 minutes; OUTBOX_MAX_ATTEMPTS=6 as in production. Goals: attempts back off as
configured; the second batch is delivered once the server is back, each email once; the first batch
is marked failed after its last attempt, with the error, where staff see it (the admin outbox lists
status, filters by it and offers "resend"); a staff resend then delivers them.
"""

import os
import statistics
import time

from . import stack
from .harness import Drill, fmt_counts, status_counts
from .stack import log

BATCH = int(os.environ.get("DRILL_SMTP_BATCH", "30"))
DOWN_FOR = float(os.environ.get("DRILL_SMTP_DOWN_FOR", "190"))
SECOND_BATCH_AT = float(os.environ.get("DRILL_SMTP_SECOND_BATCH_AT", "140"))
BASE, ATTEMPTS = 5, 6


def main() -> dict:
    drill = Drill("smtp", OUTBOX_RETRY_BASE_SECONDS=BASE, OUTBOX_MAX_ATTEMPTS=ATTEMPTS)
    run = drill.run
    from django.contrib import admin
    from django.db import close_old_connections

    from crossector.core import services
    from crossector.core.models import OutboundEmail

    first = drill.people(BATCH, "early")
    second = drill.people(BATCH, "late")
    (event,) = drill.events(1, capacity=4 * BATCH)
    stack.redis_start(run)
    stack.gunicorn_start(run, drill.env)
    stack.worker_start(run, drill.env)
    stack.beat_start(run, drill.env)
    log(f"SMTP server down for {DOWN_FOR:.0f} s from now")

    jobs = drill.booking_jobs([drill.session(u) for u in first], [event.slug], duration=10, retry=False)
    late = drill.booking_jobs([drill.session(u) for u in second], [event.slug], duration=10, retry=False)
    for job in late:
        job["at"] += SECOND_BATCH_AT
    load, out = drill.start_load(jobs + late, threads=4)
    started = time.monotonic()

    # Watch the first batch's attempts to measure the backoff actually applied.
    seen: dict[int, tuple[int, float]] = {}
    gaps: dict[int, list[float]] = {}
    while time.monotonic() - started < DOWN_FOR:
        close_old_connections()
        now = time.monotonic()
        for pk, attempts in OutboundEmail.objects.filter(user__in=first).values_list("pk", "attempts"):
            before = seen.get(pk)
            if before is None or attempts != before[0]:
                if before is not None and attempts == before[0] + 1:
                    gaps.setdefault(before[0], []).append(now - before[1])
                seen[pk] = (attempts, now)
        time.sleep(0.5)
    stack.sink_start(run)
    log("SMTP server back")
    results = drill.wait_load(load, out)
    late_rows = lambda: OutboundEmail.objects.filter(user__in=second)  # noqa: E731
    delivered, waited = drill.wait_delivered(timeout=300, query=late_rows)

    close_old_connections()
    early = OutboundEmail.objects.filter(user__in=first)
    failed = early.filter(status=OutboundEmail.Status.FAILED, attempts=ATTEMPTS).exclude(last_error="").count()
    early_ids = {str(m) for m in early.values_list("message_id", flat=True)}
    early_received_before_resend = sum(1 for r in drill.sink_records() if r["id"] in early_ids)
    error_sample = early.values_list("last_error", flat=True).first() or ""
    model_admin = admin.site._registry.get(OutboundEmail)
    staff_see = bool(model_admin and "status" in model_admin.list_display and "status" in model_admin.list_filter)
    late_attempts = sorted(set(late_rows().values_list("attempts", flat=True)))

    services.email_resend(emails=list(early.filter(status=OutboundEmail.Status.FAILED)))
    resent, _ = drill.wait_delivered(timeout=120, query=lambda: OutboundEmail.objects.filter(user__in=first))

    measured = {n: statistics.median(v) for n, v in sorted(gaps.items()) if v}
    expected = {n: services.retry_delay(n) for n in range(1, ATTEMPTS)}
    backoff_ok = all(abs(measured.get(n, 0) - expected[n]) <= 2 + 0.1 * expected[n] for n in expected)
    book = status_counts(results, "book")
    errors = sum(1 for r in results if r["status"] >= 500 or r["status"] == 0)
    passed = (
        errors == 0
        and backoff_ok
        and failed == BATCH
        and early_received_before_resend == 0
        and staff_see
        and delivered["lost"] == 0
        and delivered["duplicated"] == 0
        and delivered["unsent"] == 0
        and resent["lost"] == 0
        and resent["duplicated"] == 0
    )
    return drill.finish(
        {
            "drill": "3. SMTP server down for minutes",
            "load": (
                f"{2 * BATCH} bookings over HTTP: {BATCH} as the server goes down, {BATCH} at "
                f"{SECOND_BATCH_AT:.0f} s; server down {DOWN_FOR:.0f} s"
            ),
            "checked": "backoff between attempts; failed after the last attempt; late batch delivered once",
            "figures": (
                f"booking POSTs {fmt_counts(book)}; gaps between attempts (median, s) "
                + ", ".join(f"{n}→{n + 1}: {measured.get(n, 0):.1f}" for n in expected)
                + f" (configured {', '.join(str(v) for v in expected.values())}); first batch failed after "
                f'{ATTEMPTS} attempts: {failed}/{BATCH} ("{error_sample[:60]}"); staff see status in the admin '
                f"outbox: {'yes' if staff_see else 'no'}; second batch delivered {delivered['received']}/"
                f"{delivered['expected']} (attempts {late_attempts}), lost {delivered['lost']}, duplicated "
                f"{delivered['duplicated']}; staff resend of the failed: {resent['received']}/{resent['expected']}, "
                f"duplicated {resent['duplicated']}"
            ),
            "passed": passed,
            "notes": f"OUTBOX_RETRY_BASE_SECONDS={BASE} (production 60), OUTBOX_MAX_ATTEMPTS={ATTEMPTS} as production",
        }
    )


if __name__ == "__main__":
    main()
