"""The benchmark scenarios. Each runs against the live gunicorn through the load generator (a separate
process) and checks the end state in the database itself. Each returns a dict of figures."""

import json
import random
import subprocess
import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from . import seed
from .procs import PY, ROOT

CSRF = "benchcsrfsecret0123456789abcdefg"  # 32 characters: Django compares an unmasked secret directly


def loadgen(spec: dict) -> dict:
    """Run the load generator in its own process and return its JSON answer."""
    out = subprocess.run(
        [PY, "-m", "bench.loadgen"], input=json.dumps(spec), capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(out.stdout)


def signed_in(session_key: str | None) -> dict:
    cookies = {"csrftoken": CSRF}
    if session_key:
        cookies["sessionid"] = session_key
    return cookies


def post(path: str, data: dict, session_key: str | None, label: str) -> dict:
    return {
        "method": "POST",
        "path": path,
        "data": data,
        "cookies": signed_in(session_key),
        "headers": {"X-CSRFToken": CSRF, "Content-Type": "application/x-www-form-urlencoded"},
        "label": label,
    }


def get(path: str, session_key: str | None = None, label: str | None = None) -> dict:
    req = {"method": "GET", "path": path, "label": label or path}
    if session_key:
        req["cookies"] = {"sessionid": session_key}
    return req


# --- 1 and 2: baseline and browsing -------------------------------------------------------------------


def browsing(cfg, world: dict, sessions: dict) -> dict:
    """One closed-loop run per page at 16 connections; the baseline GET and POST are measured in the same run."""
    b = sessions[world["browser"]]
    pages = [
        ("baseline GET", [get("/bench/baseline/")], [200]),
        ("baseline POST", [post("/bench/baseline/", {"a": "1"}, None, "baseline POST")], [200]),
        ("home /", [get("/")], [200]),
        ("event list", [get("/events/")], [200]),
        ("event page", [get(f"/events/{world['event_slug']}/")], [200]),
        ("hub page", [get(f"/hubs/{world['hub_slug']}/")], [200]),
        ("call page", [get(f"/awards/{world['call_slug']}/")], [200]),
        ("my bookings (signed in)", [get("/events/bookings/", b)], [200]),
        ("my applications (signed in)", [get("/awards/applications/", b)], [200]),
        ("directory (signed in)", [get("/network/", b)], [200]),
    ]
    out = {}
    for name, requests, ok in pages:
        result = loadgen(
            {
                "mode": "loop",
                "base": cfg.base,
                "concurrency": 16,
                "duration": cfg.duration,
                "warmup": cfg.warmup,
                "requests": requests,
                "ok": ok,
            }
        )
        out[name] = {**result["summary"]["*"], "page_cache": result.get("page_cache", {})}
    return out


# --- 3: the booking rush ----------------------------------------------------------------------------------


def booking_rush(cfg, rush_sessions: dict, capacity: int, tag: str) -> dict:
    from events.models import Booking

    event = seed.rush_event(tag=tag, capacity=capacity)
    path = f"/events/{event.slug}/book/"
    requests = [
        post(path, {"dietary_requirements": "", "access_requirements": ""}, key, "book")
        for key in rush_sessions.values()
    ]
    random.Random(tag).shuffle(requests)
    result = loadgen({"mode": "once", "base": cfg.base, "concurrency": 32, "requests": requests, "ok": [302]})
    summary = result["summary"]["*"]
    counts = {s: Booking.objects.filter(event=event, status=s).count() for s in Booking.Status.values}
    per_user = Booking.objects.filter(event=event).values("user").distinct().count()
    return {
        "users": len(requests),
        "capacity": capacity,
        "elapsed_s": result["elapsed"],
        "bookings_per_min": summary["count"] / result["elapsed"] * 60,
        "errors": summary["errors"],
        "statuses": summary["statuses"],
        "p95_ms": summary["p95_ms"],
        "confirmed": counts[Booking.Status.CONFIRMED],
        "waiting": counts[Booking.Status.WAITLISTED],
        "overbooked": max(0, counts[Booking.Status.CONFIRMED] - capacity),
        "people_with_booking": per_user,
    }


# --- 4: the deadline rush ------------------------------------------------------------------------------------


def deadline_rush(cfg, applicant_sessions: dict, tag: str) -> dict:
    """Each applicant saves three sections and submits; starts are spread over the window and the deadline
    passes at 70% of it. Checks: no error before the deadline, nothing accepted after it (in the database)."""
    from awards.models import Application
    from crossector.core.models import PriorityArea

    window = cfg.deadline_window
    rng = random.Random(tag)
    now = timezone.now()
    lead = 3.0  # seconds for the load generator to start
    # Deadlines are whole minutes (crossector/core/minutes.py): take the first whole minute after the lead and
    # start the window later by the difference, so the deadline still passes at 70% of it.
    earliest = now + timedelta(seconds=lead + 0.7 * window)
    deadline = earliest.replace(second=0, microsecond=0)
    if deadline < earliest:
        deadline += timedelta(minutes=1)
    lead = (deadline - now).total_seconds() - 0.7 * window
    call = seed.award_call(
        slug=f"bench-deadline-{tag}", name=f"Deadline rush {tag}", opens_at=now - timedelta(days=30), closes_at=deadline
    )
    ids = list(applicant_sessions)
    seed.applications(call=call, applicant_ids=ids, status="draft", rng=rng)
    Application.objects.filter(call=call).update(
        declare_accurate=False, declare_employer_agrees=False, declare_data_use=False
    )
    area = PriorityArea.objects.order_by("id").first().pk
    base = f"/awards/{call.slug}/apply"
    you = {
        "organisation": "Cardiff and Vale UHB",
        "organisation_sector": "nhs",
        "role": "Consultant",
        "discipline": "Clinical genomics",
        "career_stage": "mid",
        "region": "wales",
    }
    proposal = {
        "title": "Genomics in industry",
        "summary": seed.LOREM,
        "aims": seed.LOREM,
        "why_now": seed.LOREM,
        "benefits": seed.LOREM,
        "lasting_links": seed.LOREM,
        "priority_areas": str(area),
    }
    declarations = {"declare_accurate": "on", "declare_employer_agrees": "on", "declare_data_use": "on"}
    scripts = []
    for n, uid in enumerate(ids):
        key = applicant_sessions[uid]
        scripts.append(
            {
                "who": uid,
                "at": lead + window * n / len(ids),
                "requests": [
                    post(f"{base}/you/", you, key, "save"),
                    post(f"{base}/proposal/", proposal, key, "save"),
                    post(f"{base}/check/", declarations, key, "save"),
                    post(f"{base}/check/", {**declarations, "submit": "1"}, key, "submit"),
                ],
            }
        )
    result = loadgen({"mode": "scripts", "base": cfg.base, "concurrency": len(ids), "scripts": scripts, "timeout": 60})
    cut = deadline.timestamp()
    records = result["records"]
    saves = sorted(r["latency_ms"] for r in records if r["label"] == "save")
    errors_before = [r for r in records if r["start"] + r["latency_ms"] / 1000 < cut and r["status"] != 302]
    server_errors = [r for r in records if r["status"] == 0 or r["status"] >= 500]
    late_accepted_http = [r for r in records if r["label"] == "submit" and r["start"] >= cut and r["status"] == 302]
    submitted = Application.objects.filter(call=call, submitted_at__isnull=False)
    late_in_db = submitted.filter(submitted_at__gte=deadline).count()
    from .loadgen import percentile

    return {
        "applicants": len(ids),
        "requests": len(records),
        "submitted": submitted.count(),
        "refused_after_deadline": sum(1 for r in records if r["label"] == "submit" and r["status"] == 400),
        "errors_before_deadline": len(errors_before),
        "server_errors": len(server_errors),
        "late_accepted": late_in_db + len(late_accepted_http),
        "save_p50_ms": percentile(saves, 50),
        "save_p95_ms": percentile(saves, 95),
        "save_p99_ms": percentile(saves, 99),
    }


# --- 5: sweeps and mail ---------------------------------------------------------------------------------------


def deadline_sweep(cfg, people: list[int], tag: str) -> dict:
    from awards import services as award_services

    rng = random.Random(tag)
    now = timezone.now()
    call = seed.award_call(
        slug=f"bench-sweep-{tag}",
        name=f"Reminder sweep {tag}",
        opens_at=now - timedelta(days=30),
        closes_at=now + timedelta(days=3),
    )
    ids = people[: cfg.sweep_rows]
    seed.applications(call=call, applicant_ids=ids, status="draft", rng=rng, complete=False)
    start = time.perf_counter()
    queued = award_services.deadline_reminders_send()
    first = time.perf_counter() - start
    again = award_services.deadline_reminders_send()
    return {"rows": len(ids), "seconds": first, "queued": queued, "second_run_queued": again}


def event_reminder_sweep(cfg, people: list[int], tag: str) -> dict:
    from events import services as event_services
    from events.models import Booking, Event

    rng = random.Random(tag)
    now = timezone.now()
    per_event = 200
    n_events = max(1, cfg.sweep_rows // per_event)
    events = Event.objects.bulk_create(
        Event(
            title=f"Tomorrow {tag} #{i}",
            slug=f"bench-tomorrow-{tag}-{i}",
            starts_at=now + timedelta(hours=12),
            ends_at=now + timedelta(hours=15),
            capacity=per_event,
            status=Event.Status.PUBLISHED,
        )
        for i in range(n_events)
    )
    rows = []
    for e in events:
        for uid in rng.sample(people, per_event):
            rows.append((e.pk, uid, "confirmed", "nhs", "", "", False, now))
    seed.copy_rows(
        Booking,
        seed.BOOKING_COLUMNS,
        rows,
    )
    start = time.perf_counter()
    queued, batches = 0, 0
    while True:  # what beat's event_reminders_sweep does, run back to back until nothing is due
        n = event_services.reminders_send_due()
        batches += 1
        queued += n
        if n == 0:
            break
    seconds = time.perf_counter() - start
    again = event_services.reminders_send_due()
    return {"rows": len(rows), "seconds": seconds, "queued": queued, "batches": batches, "second_run_queued": again}


def mail(cfg, redis, sink_factory, celery_factory, tag: str) -> dict:
    """5,000 queued outbox rows, their send_email tasks on the private broker; a real `celery worker` sends
    them to the SMTP sink, which counts them by X-Outbox-Id."""
    from crossector.core.models import OutboundEmail
    from crossector.core.tasks import send_email

    redis.client(1).flushdb()  # drop task messages the earlier scenarios queued: only this run's emails
    n = cfg.mail_rows
    rows = OutboundEmail.objects.bulk_create(
        OutboundEmail(
            idempotency_key=f"bench-mail-{tag}-{i}",
            to=f"person{i}@bench.example.org",
            subject="Your place is booked",
            body_text=seed.LOREM * 3,
            body_html=f"<p>{seed.LOREM * 3}</p>",
        )
        for i in range(n)
    )
    for row in rows:
        send_email.delay(row.pk)
    sink = sink_factory()
    sink.start()
    before = 0
    celery = celery_factory()
    celery.start()
    last_progress, last_count = time.time(), before
    while True:
        time.sleep(0.5)
        stats = sink.stats()
        if stats["received"] - before >= n:
            break
        if stats["received"] != last_count:
            last_progress, last_count = time.time(), stats["received"]
        elif time.time() - last_progress > 60:
            break
    time.sleep(1.0)  # anything sent twice would arrive now
    stats = sink.stats()
    pids = celery.pids()
    from .procs import peak_rss_mb

    rss = max((peak_rss_mb(p) for p in pids), default=0.0)
    celery.stop()
    sink.stop()
    ids = {
        str(m) for m in OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]).values_list("message_id", flat=True)
    }
    sent = OutboundEmail.objects.filter(pk__in=[r.pk for r in rows], status=OutboundEmail.Status.SENT).count()
    received = stats["received"] - before
    span = (stats["last"] or 0) - (stats["first"] or 0)
    return {
        "emails": n,
        "received": received,
        "emails_per_s": (received - 1) / span if span > 0 else 0.0,
        "lost": n - sent,
        "duplicated": len(stats["duplicates"]),
        "sent_rows": sent,
        "ids_known": len(ids),
        "celery_peak_rss_mb": rss,
    }


def analyse() -> None:
    """What autovacuum does to freshly loaded tables in production (PostgreSQL 13+ vacuums after inserts too):
    statistics, and the visibility map that lets a COUNT(*) read an index instead of every row. Without
    VACUUM the bench measured a heap that no real database keeps for long (100,000 applications: a 24 ms
    sequential scan against a 10 ms index-only scan)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
