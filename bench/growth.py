"""Growth: p95 and query count of the event list, an event page and the admin application list at 1×, 10×
and 100× data, on a database of its own. Run by bench/run.py as a subprocess with that database in its
environment: ``python -m bench.growth`` reads its settings as JSON on stdin and prints JSON."""

import json
import random
import statistics
import sys

import django


def main(cfg: dict) -> dict:
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from crossector.core.models import User

    from . import procs, scenarios, seed

    scale = cfg["scale"]
    rng = random.Random(11)
    people_ids = seed.people(prefix="grow", count=seed.scaled(10_000, scale, 200), rng=rng)
    hubs_ = seed.hubs(count=seed.scaled(50, scale, 5), rng=rng)
    staff = User.objects.get(pk=seed.people(prefix="growstaff", count=1, rng=rng, staff=True)[0])
    viewer = people_ids[0]
    keys = seed.sessions([viewer])
    staff_key = seed.mfa_session(staff)
    from django.utils import timezone

    now = timezone.now()
    calls = [
        seed.award_call(
            slug=f"grow-round-{i}",
            name=f"Round {i}",
            opens_at=now - timedelta_days(400 + 30 * i),
            closes_at=now - timedelta_days(300 + 30 * i),
        )
        for i in range(10)
    ]
    web = procs.Gunicorn(cfg["env"], workers=cfg["workers"], log=procs.WORK / "gunicorn-growth.log")
    have_events, have_apps = 0, 0
    event_slug = None
    results = {}
    try:
        for factor in (1, 10, 100):
            target_events = seed.scaled(100 * factor, scale, 10)
            target_apps = seed.scaled(1_000 * factor, scale, 20)
            evs = seed.events(
                count=target_events - have_events, hubs_=hubs_, rng=rng, tag=f"g{factor}", upcoming_share=0.5
            )
            seed.bookings(events_=evs, user_ids=people_ids, total=50 * len(evs), rng=rng)
            have_events = target_events
            per_call = (target_apps - have_apps) // len(calls)
            for call in calls:
                taken = set(call.applications.values_list("applicant_id", flat=True))
                free = [p for p in people_ids if p not in taken][:per_call]
                seed.applications(
                    call=call,
                    applicant_ids=free,
                    status="submitted",
                    rng=rng,
                    reference_from=call.pk * 1_000_000 + len(taken),
                )
            have_apps = target_apps
            if event_slug is None:
                from events.models import Event

                event_slug = Event.objects.filter(starts_at__gt=now).order_by("pk").values_list("slug", flat=True)[0]
            scenarios.analyse()
            if factor == 1:
                web.start()
            pages = {
                "event list": ("/events/", keys[viewer]),
                "event page": (f"/events/{event_slug}/", keys[viewer]),
                "admin application list": ("/admin/awards/application/", staff_key),
            }
            row = {"events": target_events, "applications": have_apps}
            for name, (path, key) in pages.items():
                p95s = []
                for _ in range(cfg["repeats"]):
                    out = scenarios.loadgen(
                        {
                            "mode": "loop",
                            "base": cfg["base"],
                            "concurrency": 4,
                            "duration": cfg["duration"],
                            "warmup": cfg["warmup"],
                            "requests": [scenarios.get(path, key, name)],
                            "ok": [200],
                        }
                    )
                    summary = out["summary"]["*"]
                    p95s.append(summary["p95_ms"])
                    if summary["errors"]:
                        row[f"{name} errors"] = summary["errors"]
                client = Client(SERVER_NAME="127.0.0.1")
                client.cookies["sessionid"] = key
                client.get(path)  # warm whatever a first request fills
                with CaptureQueriesContext(connection) as queries:
                    status = client.get(path).status_code
                row[name] = {"p95_ms": statistics.median(p95s), "queries": len(queries), "status": status}
            results[f"{factor}x"] = row
    finally:
        web.stop()
    return results


def timedelta_days(n):
    from datetime import timedelta

    return timedelta(days=n)


if __name__ == "__main__":
    json.dump(main(json.load(sys.stdin)), sys.stdout)
