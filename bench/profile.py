"""Profile one page or the booking POST in process with pyinstrument, on a database bench/run.py left behind.

    .venv/bin/python -m bench.profile /events/ [--signed-in] [--n 50]
    .venv/bin/python -m bench.profile --book [--n 50]

Uses the same settings as the benchmark (DEBUG off, PostgreSQL; the cache is a Redis on BENCH_REDIS_PORT
if one is up, else local memory) and Django's test client, so the whole middleware stack is in the profile.
"""

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/events/")
    parser.add_argument("--signed-in", action="store_true")
    parser.add_argument("--book", action="store_true", help="profile booking POSTs on a fresh event")
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "crossector_bench"))
    args = parser.parse_args()
    os.environ.update(
        {
            "DEBUG": "false",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.db}",
            "ALLOWED_HOSTS": "127.0.0.1",
            "MANIFEST_STATIC": "false",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "memory://"),
            "DJANGO_SETTINGS_MODULE": "crossector.settings",
        }
    )
    import django

    django.setup()
    from django.test import Client
    from pyinstrument import Profiler

    from crossector.core.models import User

    from . import seed

    client = Client(SERVER_NAME="127.0.0.1")
    profiler = Profiler(interval=0.0005)
    if args.book:
        event = seed.rush_event(tag=f"profile-{os.getpid()}", capacity=args.n // 2)
        users = list(User.objects.filter(email__startswith="rush").values_list("pk", flat=True)[: args.n])
        keys = seed.sessions(users)
        profiler.start()
        for uid in users:
            client.cookies["sessionid"] = keys[uid]
            response = client.post(f"/events/{event.slug}/book/", {"dietary_requirements": ""})
            assert response.status_code == 302, response.status_code
        profiler.stop()
    else:
        if args.signed_in:
            uid = User.objects.filter(email="person0@bench.example.org").values_list("pk", flat=True).get()
            client.cookies["sessionid"] = seed.sessions([uid])[uid]
        client.get(args.path)
        profiler.start()
        for _ in range(args.n):
            response = client.get(args.path)
            assert response.status_code == 200, response.status_code
        profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
