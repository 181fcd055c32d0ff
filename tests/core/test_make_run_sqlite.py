"""`make run` with no services configured: SQLite and tasks in process. The suite otherwise runs on PostgreSQL,
so this drives the same steps the Makefile does (migrate, seed_demo) on a fresh SQLite file in a separate
process, then books a demo event through the full stack. A migration only PostgreSQL can apply (an index
with NULLS LAST once was one) or SQL only PostgreSQL accepts on the booking path fails here."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

JOURNEY = """
from django.test import Client
from django.utils import timezone
from crossector.core.models import OutboundEmail, User
from events.models import Booking, Event
from events.rules import Window, booking_window

client = Client()
for path in ["/", "/events/", "/hubs/", "/awards/"]:
    assert client.get(path).status_code == 200, path
user = User.objects.get(email="attendee@example.org")
candidates = Event.objects.filter(status="published").exclude(bookings__user=user).order_by("starts_at")
event = next(e for e in candidates if booking_window(e, now=timezone.now()) == Window.OPEN)
client.force_login(user)
response = client.post(f"/events/{event.slug}/book/", {"dietary_requirements": ""})
assert response.status_code == 302, response.status_code
booking = Booking.objects.get(event=event, user=user)
kind = "confirmed" if booking.status == "confirmed" else "waitlisted"
email = OutboundEmail.objects.get(idempotency_key=f"booking-{booking.pk}-{kind}")
print("booked", booking.status, email.status)
"""


def run(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_make_run_defaults_migrate_seed_and_book_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DEBUG": "true"})
    for step in (["migrate", "--noinput"], ["seed_demo"]):
        result = run(*step, env=env)
        assert result.returncode == 0, result.stderr[-3000:]
    result = run("shell", "-c", JOURNEY, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "booked confirmed" in result.stdout or "booked waitlisted" in result.stdout
