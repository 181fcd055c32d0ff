"""What every drill shares: its private database, Django in the drill process (to arrange data and
check the end state), signed-in sessions made directly, the load process and the sink's records."""

import hashlib
import http.client
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from . import stack
from .stack import PYTHON, ROOT, Run, log

RESULT_KEYS = ("drill", "load", "checked", "figures", "passed", "notes")


def prepare_cluster(run: Run) -> Path:
    """A private cluster with a migrated template database, and collected static files."""
    stack.pg_init(run)
    stack.psql("CREATE DATABASE drills_template")
    env = stack.django_env(run, "drills_template", STATIC_ROOT=run.dir / "static")
    t0 = time.monotonic()
    stack.manage(env, "migrate", "--noinput")
    stack.manage(env, "collectstatic", "--noinput")
    log(f"private PostgreSQL on {stack.PG_PORT} migrated, static collected ({time.monotonic() - t0:.0f} s)")
    return run.dir / "static"


class Drill:
    """One drill's run directory, database and Django set up in this process."""

    def __init__(self, name: str, **env_extra):
        self.name = name
        self.run = Run(name)
        if not os.environ.get("DRILLS_CLUSTER_READY"):
            # Run on its own (not from run.py): make a cluster of our own.
            os.environ["DRILLS_STATIC_ROOT"] = str(prepare_cluster(self.run))
        self.db = f"drill_{name}_{os.getpid()}"
        stack.psql(f"CREATE DATABASE {self.db} TEMPLATE drills_template")
        self.env = stack.django_env(self.run, self.db, **env_extra)
        (self.run.dir / "media").mkdir(exist_ok=True)
        os.environ.update(self.env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

    # --- data --------------------------------------------------------------------------------

    def people(self, n: int, prefix: str) -> list:
        """n users with verified addresses and complete profiles (no password: sessions are made directly)."""
        from allauth.account.models import EmailAddress

        from crossector.core.models import Profile, User

        users = User.objects.bulk_create(
            [User(email=f"{prefix}{i}@drills.example.org", password="!") for i in range(n)]
        )
        Profile.objects.bulk_create(
            [
                Profile(
                    user=u,
                    full_name=f"Drill person {i}",
                    organisation="Drill Health Board",
                    job_title="Clinical scientist",
                    sector="nhs",
                    region="wales",
                )
                for i, u in enumerate(users)
            ]
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users]
        )
        return users

    def session(self, user) -> tuple[str, str]:
        """A signed-in session written straight to the session store, as a login would leave it."""
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore

        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.save()
        csrf = secrets.token_hex(16)  # Django accepts the unmasked 32-character secret as the token
        return f"sessionid={store.session_key}; csrftoken={csrf}", csrf

    def events(self, n: int, *, capacity: int, starts_in: timedelta = timedelta(days=14), prefix: str = "drill"):
        from django.utils import timezone

        from events.models import Event

        now = timezone.now()
        return [
            Event.objects.create(
                title=f"Drill event {i}",
                slug=f"{prefix}-event-{i}",
                summary="A drill.",
                venue_name="Cardiff City Hall",
                address="Cathays Park, Cardiff",
                starts_at=now + starts_in,
                ends_at=now + starts_in + timedelta(hours=3),
                capacity=capacity,
                waiting_list_enabled=True,
                status=Event.Status.PUBLISHED,
                published_at=now,
            )
            for i in range(n)
        ]

    # --- load --------------------------------------------------------------------------------

    def start_load(
        self, jobs: list[dict], *, threads: int = 8, port: int = stack.WEB_PORT
    ) -> tuple[subprocess.Popen, Path]:
        plan = self.run.dir / "plan.json"
        out = self.run.dir / "load-results.json"
        plan.write_text(json.dumps({"base": f"http://127.0.0.1:{port}", "jobs": jobs, "threads": threads}))
        proc = self.run.spawn("load", [PYTHON, "-m", "bench.drills.load", str(plan), str(out)])
        return proc, out

    @staticmethod
    def booking_jobs(cookies: list[tuple[str, str]], slugs: list[str], *, duration: float, retry: bool) -> list[dict]:
        """Every person books every event, spread evenly over `duration` seconds."""
        pairs = [(c, s) for s in slugs for c in cookies]
        pairs = [pairs[i] for i in _interleave(len(cookies), len(slugs))]
        step = duration / max(len(pairs), 1)
        return [
            {
                "at": round(i * step, 3),
                "kind": "book",
                "method": "POST",
                "path": f"/events/{slug}/book/",
                "cookie": cookie,
                "csrf": csrf,
                "data": {"csrfmiddlewaretoken": csrf, "dietary_requirements": "", "access_requirements": ""},
                "retry": retry,
            }
            for i, ((cookie, csrf), slug) in enumerate(pairs)
        ]

    @staticmethod
    def browse_jobs(paths: list[str], *, duration: float, every: float) -> list[dict]:
        n = int(duration / every)
        return [
            {"at": round(i * every, 3), "kind": "browse", "method": "GET", "path": paths[i % len(paths)]}
            for i in range(n)
        ]

    def wait_load(self, proc: subprocess.Popen, out: Path, *, timeout: float = 900) -> list[dict]:
        proc.wait(timeout=timeout)
        self.run.procs.pop("load", None)
        return json.loads(out.read_text())

    # --- end state ---------------------------------------------------------------------------

    def sink_records(self) -> list[dict]:
        path = self.run.dir / "sink.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def delivery(self, rows_ids: set[str]) -> dict:
        """Lost / duplicated / unexpected, comparing outbox message ids with what the sink received."""
        counts = Counter(r["id"] for r in self.sink_records())
        return {
            "expected": len(rows_ids),
            "received": sum(counts[i] for i in rows_ids),
            "lost": sum(1 for i in rows_ids if counts[i] == 0),
            "duplicated": sum(counts[i] - 1 for i in rows_ids if counts[i] > 1),
            "unexpected": sum(c for i, c in counts.items() if i not in rows_ids),
        }

    def wait_delivered(self, *, timeout: float, query=None) -> tuple[dict, float]:
        """Wait until every outbox row (of `query`) is sent and received by the sink."""
        from django.db import close_old_connections

        from crossector.core.models import OutboundEmail

        t0 = time.monotonic()
        while True:
            close_old_connections()
            rows = query() if query else OutboundEmail.objects.all()
            ids = {str(m) for m in rows.values_list("message_id", flat=True)}
            unsent = rows.exclude(status=OutboundEmail.Status.SENT).count()
            result = self.delivery(ids)
            if (unsent == 0 and result["lost"] == 0) or time.monotonic() - t0 > timeout:
                result["unsent"] = unsent
                return result, time.monotonic() - t0
            time.sleep(1)

    def finish(self, result: dict) -> dict:
        missing = set(RESULT_KEYS) - set(result)
        assert not missing, missing
        out = os.environ.get("DRILLS_RESULT")
        if out:
            Path(out).write_text(json.dumps(result, indent=2, default=str))
        log(f"{result['drill']}: {'PASS' if result['passed'] else 'FAIL'} - {result['figures']}")
        return result


# --- Requests from the drill process itself (drills 6 and 7) ---------------------------------------------


def http_call(
    method: str,
    path: str,
    *,
    port: int,
    cookie: str = "",
    data: dict | None = None,
    files: dict | None = None,
    source: str | None = None,
    headers: dict | None = None,
) -> tuple[int, "http.client.HTTPMessage", str]:
    """One request to a node or the load balancer on 127.0.0.1:`port`, from loopback address `source` when
    given. Returns the status, the response headers and the body as text."""
    from .load import multipart

    head = {"Host": f"127.0.0.1:{port}", "Cookie": cookie, **(headers or {})}
    body = None
    if method == "POST":
        if files:
            body, head["Content-Type"] = multipart(data or {}, files)
        else:
            body, head["Content-Type"] = urlencode(data or {}), "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=head)
        response = conn.getresponse()
        return response.status, response.msg, response.read().decode(errors="ignore")
    finally:
        conn.close()


def set_cookie(headers, name: str = "sessionid") -> str:
    """`name=value` from a response's Set-Cookie headers, or ''."""
    return next((c.split(";")[0] for c in headers.get_all("Set-Cookie") or [] if c.startswith(f"{name}=")), "")


def sign_in(email: str, password: str, *, port: int, source: str | None = None) -> tuple[int, str, str]:
    """Sign in through the real form (allauth) and return (status, `sessionid=...` set, node that served it)."""
    csrf = secrets.token_hex(16)
    status, headers, _ = http_call(
        "POST",
        "/accounts/login/",
        port=port,
        cookie=f"csrftoken={csrf}",
        data={"csrfmiddlewaretoken": csrf, "login": email, "password": password},
        source=source,
    )
    return status, set_cookie(headers), headers.get("X-Served-By", "")


def download_sha256(document_pk: int, cookie: str, *, port: int) -> str:
    """Download a document through a node as its owner: the node answers with a signed link to the bucket
    (302), fetched here. Returns the sha256 of what arrived, or a reason it did not."""
    status, headers, _ = http_call("GET", f"/awards/documents/{document_pk}/", port=port, cookie=cookie)
    if status != 302:
        return f"node answered {status}"
    try:
        with urllib.request.urlopen(headers["Location"], timeout=30) as response:
            return hashlib.sha256(response.read()).hexdigest()
    except OSError as exc:
        return f"signed link failed: {exc}"


def _interleave(n_people: int, n_events: int) -> list[int]:
    """Order (person, event) pairs so that consecutive requests come from different people."""
    order = []
    for round_ in range(n_events):
        for p in range(n_people):
            order.append(((round_ + p) % n_events) * n_people + p)
    return order


def status_counts(results: list[dict], kind: str | None = None) -> dict:
    counts = Counter(str(r["status"]) for r in results if kind is None or r["kind"] == kind)
    return dict(sorted(counts.items()))


def fmt_counts(counts: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "none"
