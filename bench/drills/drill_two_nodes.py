"""Drill 6: two web nodes behind HAProxy, one of them killed mid-load.

Two gunicorn nodes (A on DRILLS_WEB_PORT, B on DRILLS_WEB2_PORT) share one PostgreSQL, one Redis and one
S3-compatible bucket (moto's server), behind Debian's HAProxy (`stack.haproxy_start`: round robin,
`option forwardfor`, `retries 2` + `option redispatch`, /health/ checked every second, at most as many
requests per node as it has workers, the rest queued in HAProxy). The nodes run with
TRUSTED_PROXY_COUNT=1, and the load comes from many loopback addresses (127.0.x.y), so each is a different
client to the balancer and to the rate limits.

First, the checks that need two nodes, each made on purpose across them:
- a session made by signing in through the balancer opens signed-in pages on node A and on node B;
- a document uploaded through node A downloads through node B, byte for byte, and the other way round;
- an anonymous page cached through one node is served fresh by both after the event changes (edited, as
  in the admin, or booked through the other node);
- failed sign-ins for one address from one client are counted across nodes (allauth's 5 in 5 minutes),
  whatever X-Forwarded-For that client makes up, while another client is not refused;
- the same booking POSTed to node A and node B at the same moment (what a balancer retrying a request
  already sent, `retry-on`, would do) books once, and an event with few places is not overbooked.

Then the load through the balancer: bookings (every person every event, more people than places),
browsing, uploads (some replacing an earlier file) and sign-ins, with node B killed by SIGKILL part way
(a lost machine). A request answered 502/503 or not at all is sent again 2 s later, as a person would
press again. Goals: 0 overbooked, 0 duplicate bookings, nothing lost but the requests node B was serving
at the kill, every booking, upload and sign-in done in the end; afterwards node B is started again and
every uploaded document downloads through either node with the checksum of the file sent.
"""

import contextlib
import hashlib
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

from . import stack
from .harness import Drill, download_sha256, fmt_counts, http_call, sign_in, status_counts
from .stack import LB_PORT, WEB2_PORT, WEB_PORT, log

PEOPLE = int(os.environ.get("DRILL_NODES_PEOPLE", "90"))
EVENTS = int(os.environ.get("DRILL_NODES_EVENTS", "3"))
CAPACITY = int(os.environ.get("DRILL_NODES_CAPACITY", "40"))
APPLICANTS = int(os.environ.get("DRILL_NODES_APPLICANTS", "20"))
SIGNERS = int(os.environ.get("DRILL_NODES_SIGNERS", "16"))
RACERS = int(os.environ.get("DRILL_NODES_RACERS", "12"))
RACE_CAPACITY = 5
DURATION = float(os.environ.get("DRILL_NODES_DURATION", "40"))
KILL_AT = float(os.environ.get("DRILL_NODES_KILL_AT", "18"))
NODE_WORKERS = os.environ.get("DRILL_NODES_WORKERS", "2")
BUCKET = "drills-uploads"
PASSWORD = "drill-horse-battery-staple"
NODES = {"node-a": WEB_PORT, "node-b": WEB2_PORT}
LOST = (0, 502, 503, 504)
TOO_MANY = "Too many failed login attempts"


def _src(block: int, i: int) -> str:
    """A loopback address of its own for client i of a block (the balancer sees each as another client)."""
    return f"127.0.{block}.{2 + i % 250}"


def _with_password(drill: Drill, n: int, prefix: str) -> list:
    from django.contrib.auth.hashers import make_password

    from crossector.core.models import User

    users = drill.people(n, prefix)
    User.objects.filter(pk__in=[u.pk for u in users]).update(password=make_password(PASSWORD))  # one hash for all
    return users


def _pdf(path: Path, text: str) -> str:
    from tests.awards.factories import pdf_bytes

    content = pdf_bytes(text, padding=20_000)
    path.write_bytes(content)
    return hashlib.sha256(content).hexdigest()


def _document_of(application):
    from awards.models import Document

    return Document.objects.filter(application=application, kind="cv").first()


def _stored_sha256(document) -> str:
    with document.file.open("rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_sessions(drill: Drill, users: list) -> tuple[int, int]:
    """Sign in through the balancer; the session must open a signed-in page on each node."""
    ok = 0
    for i, user in enumerate(users):
        status, cookie, _ = sign_in(user.email, PASSWORD, port=LB_PORT, source=_src(3, i))
        pages = [http_call("GET", "/accounts/email/", port=port, cookie=cookie) for port in NODES.values()]
        ok += status == 302 and bool(cookie) and all(s == 200 and user.email in text for s, _, text in pages)
    return ok, len(users)


def check_upload_across(drill: Drill, applications: list, call) -> tuple[int, int]:
    """Upload through one node, download through the other (and the stored object's checksum)."""
    ok = 0
    for i, application in enumerate(applications):
        up, down = (WEB_PORT, WEB2_PORT) if i % 2 == 0 else (WEB2_PORT, WEB_PORT)
        cookie, csrf = drill.session(application.applicant)
        path = drill.run.dir / f"across-{i}.pdf"
        sha = _pdf(path, f"CV uploaded through one node {i}")
        status, _, _ = http_call(
            "POST",
            f"/awards/{call.slug}/apply/documents/",
            port=up,
            cookie=cookie,
            data={"csrfmiddlewaretoken": csrf, "save": ""},
            files={"cv": str(path)},
        )
        document = _document_of(application)
        ok += (
            status == 302
            and document is not None
            and download_sha256(document.pk, cookie, port=down) == sha
            and _stored_sha256(document) == sha
        )
    return ok, len(applications)


def check_page_cache(drill: Drill, event, booker) -> dict:
    """A page cached through one node is fresh on both after the event is edited, and after a booking."""
    from django.db import close_old_connections

    path = f"/events/{event.slug}/"

    def get(port):
        status, headers, text = http_call("GET", path, port=port)
        return status, headers.get("X-Page-Cache", ""), text

    first = [get(WEB_PORT), get(WEB2_PORT)]
    shared = first[1][1] == "hit"  # cached through A, served from the cache by B
    close_old_connections()
    event.title = "Drill event moved to the Council Chamber"
    event.save()  # as staff would in the admin: the page cache's version is bumped in Redis
    after_edit = [get(WEB2_PORT), get(WEB_PORT)]
    fresh_edit = all(s == 200 and event.title in text for s, _, text in after_edit)
    cookie, csrf = drill.session(booker)
    before = get(WEB2_PORT)  # cached again
    booked, _, _ = http_call(
        "POST",
        f"{path}book/",
        port=WEB_PORT,
        cookie=cookie,
        data={"csrfmiddlewaretoken": csrf, "dietary_requirements": "", "access_requirements": ""},
    )
    after_booking = get(WEB2_PORT)
    fresh_booking = before[1] == "hit" and booked == 302 and after_booking[1] == "miss"
    return {"shared": shared, "fresh_edit": fresh_edit, "fresh_booking": fresh_booking}


def check_rate_limit(victim) -> dict:
    """Wrong passwords for one address from one client, through the balancer (so over both nodes), each with a
    made-up X-Forwarded-For: the 6th and 7th are refused. Another client is not."""
    refused, served = [], Counter()
    for i in range(7):
        _, headers, text = http_call(
            "POST",
            "/accounts/login/",
            port=LB_PORT,
            cookie="csrftoken=" + "a" * 32,
            data={"csrfmiddlewaretoken": "a" * 32, "login": victim.email, "password": "wrong-password"},
            source=_src(4, 0),
            headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},  # made up by the client: must not count
        )
        refused.append(TOO_MANY in text)
        if i < 5:
            served[headers.get("X-Served-By", "?")] += 1
    _, _, other = http_call(
        "POST",
        "/accounts/login/",
        port=LB_PORT,
        cookie="csrftoken=" + "b" * 32,
        data={"csrfmiddlewaretoken": "b" * 32, "login": victim.email, "password": "wrong-password"},
        source=_src(4, 1),
    )
    return {
        "refused": refused,
        "served": dict(served),
        "other_client_refused": TOO_MANY in other,
        "ok": refused == [False] * 5 + [True, True] and len(served) == 2 and TOO_MANY not in other,
    }


def check_race(drill: Drill, event, racers: list) -> dict:
    """Each person's booking POSTed to both nodes at the same moment."""
    from django.db import close_old_connections
    from django.db.models import Count

    from events.models import Booking

    statuses = []
    barrier = threading.Barrier(2 * len(racers))

    def post(port, cookie, csrf):
        barrier.wait()
        status, _, _ = http_call(
            "POST",
            f"/events/{event.slug}/book/",
            port=port,
            cookie=cookie,
            data={"csrfmiddlewaretoken": csrf, "dietary_requirements": "", "access_requirements": ""},
        )
        statuses.append(status)

    sessions = [drill.session(u) for u in racers]
    threads = [
        threading.Thread(target=post, args=(port, cookie, csrf)) for cookie, csrf in sessions for port in NODES.values()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    rows = Booking.objects.filter(event=event).exclude(status="cancelled")
    per_person = rows.values("user").annotate(n=Count("id")).filter(n__gt=1).count()
    confirmed, total = rows.filter(status="confirmed").count(), rows.count()
    return {
        "statuses": dict(Counter(statuses)),
        "bookings": total,
        "confirmed": confirmed,
        "duplicates": per_person,
        "ok": total == len(racers) and per_person == 0 and confirmed == RACE_CAPACITY,
    }


def _load_jobs(drill: Drill, users, events, drafts, call, signers, uploads_dir: Path) -> tuple[list, dict]:
    cookies = [drill.session(u) for u in users]
    person = {cookie: i for i, (cookie, _) in enumerate(cookies)}
    jobs = drill.booking_jobs(cookies, [e.slug for e in events], duration=DURATION, retry=True)
    for job in jobs:  # each person books from an address of their own; the key says who booked what
        i = person[job["cookie"]]
        job["source"] = _src(1, i)
        job["key"] = f"{users[i].pk}|{job['path'].split('/')[2]}"
    paths = ["/", "/events/", f"/events/{events[0].slug}/", f"/events/{events[1].slug}/", "/awards/", "/hubs/"]
    for i, job in enumerate(drill.browse_jobs(paths, duration=DURATION, every=0.3)):
        job["source"] = _src(5, i)
        jobs.append(job)
    expected = {}  # application pk → sha256 of the file that must be stored last
    half = len(drafts) // 2
    for i, application in enumerate(drafts):
        cookie, csrf = drill.session(application.applicant)
        rounds = 2 if i < half else 1  # the first half replace their CV later in the load
        for r in range(rounds):
            path = uploads_dir / f"cv-{application.pk}-{r}.pdf"
            expected[application.pk] = _pdf(path, f"CV of applicant {i}, version {r + 1}")
            jobs.append(
                {
                    "at": round(2 + i * (DURATION / 2 - 4) / len(drafts) + r * DURATION / 2, 3),
                    "kind": "upload",
                    "method": "POST",
                    "path": f"/awards/{call.slug}/apply/documents/",
                    "cookie": cookie,
                    "csrf": csrf,
                    "data": {"csrfmiddlewaretoken": csrf, "save": ""},
                    "files": {"cv": str(path)},
                    "source": _src(6, i),
                    "retry": True,
                    "key": f"upload-{application.pk}-{r}",
                }
            )
    for i, user in enumerate(signers):
        csrf = f"{i:032x}"
        jobs.append(
            {
                "at": round(1 + i * (DURATION - 4) / len(signers), 3),
                "kind": "signin",
                "method": "POST",
                "path": "/accounts/login/",
                "cookie": f"csrftoken={csrf}",
                "csrf": csrf,
                "data": {"csrfmiddlewaretoken": csrf, "login": user.email, "password": PASSWORD},
                "source": _src(2, i),
                "retry": True,
                "capture": True,
                "key": user.email,
            }
        )
    return jobs, expected


def _haproxy_log(run) -> list[list[str]]:
    """HAProxy's request lines: client, time, server, status, termination state, retries, Tt, method, path."""
    lines = []
    for line in stack.log_text(run, "haproxy").splitlines():
        parts = line.split()
        if len(parts) == 9 and parts[0][0].isdigit():
            lines.append(parts)
    return lines


def main() -> dict:  # noqa: PLR0915 - one drill, read top to bottom
    drill = Drill(
        "twonodes",
        TRUSTED_PROXY_COUNT=1,
        SITE_URL=f"http://127.0.0.1:{LB_PORT}",
        **stack.s3_env(BUCKET),
    )
    run = drill.run
    from django.db import close_old_connections
    from django.db.models import Count, Q

    from events.models import Booking, Event
    from tests.awards.factories import AwardCallFactory, application

    stack.s3_start(run)
    stack.s3_bucket(BUCKET)
    stack.redis_start(run)
    users = drill.people(PEOPLE, "booker")
    events = drill.events(EVENTS, capacity=CAPACITY)
    (race_event,) = drill.events(1, capacity=RACE_CAPACITY, prefix="race")
    racers = drill.people(RACERS, "racer")
    call = AwardCallFactory(slug="drill-call")
    applicants = drill.people(APPLICANTS + 2, "applicant")
    drafts = [application(call=call, applicant=u) for u in applicants]
    signers = _with_password(drill, SIGNERS + 3, "signer")
    (victim,) = _with_password(drill, 1, "victim")
    uploads_dir = run.dir / "uploads"
    uploads_dir.mkdir()

    for name, port in NODES.items():
        stack.gunicorn_start(run, drill.env, name=name, port=port, workers=NODE_WORKERS)
    stack.haproxy_start(run, NODES, maxconn=int(NODE_WORKERS))
    log(f"two nodes ({NODE_WORKERS} workers each) behind HAProxy on {LB_PORT}; S3 store on {stack.S3_PORT}")

    sessions = check_sessions(drill, signers[SIGNERS:])
    across = check_upload_across(drill, drafts[APPLICANTS:], call)
    cache = check_page_cache(drill, events[2], racers[0])
    limits = check_rate_limit(victim)
    race = check_race(drill, race_event, racers)
    log(f"sessions {sessions}, uploads across {across}, page cache {cache}, rate limit {limits}, race {race}")

    jobs, expected = _load_jobs(drill, users, events, drafts[:APPLICANTS], call, signers[:SIGNERS], uploads_dir)
    close_old_connections()
    log(f"load: {len(jobs)} requests over {DURATION:.0f} s through HAProxy; SIGKILL node B at {KILL_AT:.0f} s")
    load, out = drill.start_load(jobs, threads=8, port=LB_PORT)
    time.sleep(KILL_AT)
    # Kill it while it is serving: when HAProxy has a request at each of its workers, or at least at one.
    for at_least in (int(NODE_WORKERS), 1):
        with contextlib.suppress(RuntimeError):
            stack.wait_for(
                lambda n=at_least: stack.haproxy_current(run, "node-b") >= n, "node B", timeout=6, interval=0.01
            )
            break
    busy = stack.haproxy_current(run, "node-b")
    run.kill("node-b", signal.SIGKILL, wait=5)
    killed_at = time.time()
    log(f"node B killed (SIGKILL to its whole process group) with {busy} request(s) at it")
    results = drill.wait_load(load, out)
    log_lines = _haproxy_log(run)
    t0 = time.monotonic()
    stack.gunicorn_start(run, drill.env, name="node-b", port=WEB2_PORT, workers=NODE_WORKERS)
    stack.wait_for(
        lambda: http_call("GET", "/health/", port=LB_PORT)[1].get("X-Served-By") == "node-b",
        "node B back in HAProxy",
        timeout=30,
    )
    back_in = time.monotonic() - t0
    close_old_connections()

    # --- what happened to the requests ---------------------------------------------------------------------
    lost = [r for r in results if r["status"] in LOST]
    in_flight = [r for r in lost if r["sent_at"] <= killed_at <= r["sent_at"] + r["latency"] + 0.5]
    errors = sum(1 for r in results if r["status"] == 500 or r.get("traceback"))
    final = {}  # the last answer to each job that has a key
    for r in sorted(results, key=lambda r: r["attempt"]):
        if r["key"]:
            final[(r["kind"], r["key"])] = r
    unanswered = Counter(kind for (kind, _), r in final.items() if r["status"] in LOST)
    served = Counter(r.get("served_by", "") for r in results if r["status"] not in LOST)
    after_kill = Counter(r["served_by"] for r in results if r["sent_at"] > killed_at + 3 and r["status"] not in LOST)
    aborted = [line for line in log_lines if line[2] == "node-b" and line[4].startswith("S")]
    redispatched = sum(1 for line in log_lines if line[5].startswith("+"))

    # --- bookings: every one made once, none over capacity -------------------------------------------------
    bookings = Booking.objects.filter(event__in=events).exclude(status="cancelled")
    doubles = bookings.values("event", "user").annotate(n=Count("id")).filter(n__gt=1).count()
    over = Event.objects.filter(pk__in=[e.pk for e in events + [race_event]]).annotate(
        n=Count("bookings", filter=Q(bookings__status="confirmed"))
    )
    overbooked = sum(max(e.n - e.capacity, 0) for e in over)
    lost_bookings = {r["key"] for r in lost if r["kind"] == "book"}
    lost_but_committed = sum(
        1
        for key in lost_bookings
        if Booking.objects.filter(
            user_id=int(key.split("|")[0]), event__slug=key.split("|")[1], created_at__lte=_aware(killed_at)
        ).exists()
    )
    booking_count = bookings.count() - 1  # less the booking made by the page-cache check
    # --- uploads: the last file each applicant sent, stored and downloadable through both nodes --------------
    downloads_ok = stored_ok = 0
    for draft in drafts[:APPLICANTS]:
        document = _document_of(draft)
        if document is None:
            continue
        stored_ok += _stored_sha256(document) == expected[draft.pk]
        cookie, _ = drill.session(draft.applicant)
        downloads_ok += all(download_sha256(document.pk, cookie, port=p) == expected[draft.pk] for p in NODES.values())
    # --- sign-ins: each session opens a signed-in page on both nodes ----------------------------------------
    captured = {r["key"]: r.get("session", "") for r in final.values() if r["kind"] == "signin"}
    sessions_after = sum(
        1
        for email, cookie in captured.items()
        if cookie
        and all(
            (page := http_call("GET", "/accounts/email/", port=p, cookie=cookie))[0] == 200 and email in page[2]
            for p in NODES.values()
        )
    )

    checks = {
        "sessions": sessions[0] == sessions[1],
        "uploads across": across[0] == across[1],
        "page cache": cache["fresh_edit"] and cache["fresh_booking"],
        "rate limit": limits["ok"],
        "race": race["ok"],
        "no 500": errors == 0,
        "lost only in flight": len(lost) == len(in_flight) and len(lost) <= int(NODE_WORKERS),
        "all answered": not unanswered,
        "bookings": booking_count == PEOPLE * EVENTS and doubles == 0 and overbooked == 0,
        "uploads": stored_ok == downloads_ok == APPLICANTS,
        "sign-ins": sessions_after == SIGNERS,
        "only node A after the kill": set(after_kill) == {"node-a"},
    }
    failed = [name for name, ok in checks.items() if not ok]
    return drill.finish(
        {
            "drill": "6. Two web nodes behind HAProxy, one killed (SIGKILL) mid-load",
            "load": (
                f"first, checks across the nodes; then {PEOPLE} people × {EVENTS} events booking ({CAPACITY} places "
                f"each), browsing every 0.3 s, {APPLICANTS} applicants uploading ({APPLICANTS // 2} replacing), "
                f"{SIGNERS} sign-ins, over {DURATION:.0f} s through HAProxy from {PEOPLE + SIGNERS + APPLICANTS} "
                f"client addresses, 8 threads; node B killed at {KILL_AT:.0f} s"
            ),
            "checked": (
                "sessions, uploads, page cache and rate limits across nodes; the same booking sent to both nodes "
                "at once; requests lost at the kill; bookings, uploads and sign-ins after"
            ),
            "figures": (
                f"sessions signed in through the balancer valid on both nodes {sessions[0]}/{sessions[1]}; uploaded "
                f"through one node, downloaded through the other with the same sha256 {across[0]}/{across[1]}; page "
                f"cache shared {'yes' if cache['shared'] else 'no'}, fresh on both after an edit "
                f"{'yes' if cache['fresh_edit'] else 'NO'}, after a booking on the other node "
                f"{'yes' if cache['fresh_booking'] else 'NO'}; wrong passwords from one client over nodes "
                f"{fmt_counts(limits['served'])}: refused from the 6th "
                f"{'yes' if limits['refused'][5:] == [True, True] else limits['refused']} (made-up X-Forwarded-For "
                f"ignored), another client refused {'YES' if limits['other_client_refused'] else 'no'}; same booking "
                f"to both nodes at once × {RACERS}: answers {fmt_counts(race['statuses'])}, bookings "
                f"{race['bookings']}, duplicates {race['duplicates']}, confirmed {race['confirmed']}/{RACE_CAPACITY}. "
                f"Load: all requests {fmt_counts(status_counts(results))}; served by {fmt_counts(served)}; 500 or "
                f"traceback {errors}; node B killed with {busy} request(s) at it, lost {len(lost)} (in flight on "
                f"node B {len(in_flight)}, HAProxy saw {len(aborted)} aborted by node B, redispatched "
                f"{redispatched}), of which bookings "
                f"{len(lost_bookings)}, committed before the loss {lost_but_committed} (sent again: 'already "
                f"booked'); jobs never answered {fmt_counts(unanswered)}; bookings {booking_count}/"
                f"{PEOPLE * EVENTS}, duplicates {doubles}, overbooked {overbooked}; documents stored with the sha256 "
                f"sent {stored_ok}/{APPLICANTS}, downloaded through both nodes {downloads_ok}/{APPLICANTS}; sign-ins "
                f"{sessions_after}/{SIGNERS} valid on both nodes; served after the kill (+3 s) by "
                f"{fmt_counts(after_kill)}; node B started "
                f"again and back in HAProxy in {back_in:.1f} s" + (f"; FAILED: {', '.join(failed)}" if failed else "")
            ),
            "passed": not failed,
            "notes": (
                f"{NODE_WORKERS} sync workers per node; HAProxy retries connection failures only (its default "
                "`retry-on conn-failure`), so a request node B had already received is answered 502 and the "
                "client sends it again"
            ),
        }
    )


def _aware(wall: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(wall, tz=UTC)


if __name__ == "__main__":
    main()
