"""Drill 7: a backup taken under load, restored into a fresh database and bucket.

The portal (gunicorn, a Celery worker, uploads in a versioned private bucket on moto's S3 server) serves
bookings, browsing and uploads, some uploads replacing an earlier file (which deletes the old object).
Part way through, the backup of docs/deployment.md ("Backup and restore") is taken exactly as written:

1. `pg_dump -Fc` of the live database. The drill opens the snapshot itself (`pg_export_snapshot()` in a
   REPEATABLE READ transaction) and passes it to `pg_dump --snapshot`, so it can count every table as of
   that same instant to compare with the restore; pg_dump alone takes the same kind of snapshot.
2. Then a copy of the bucket: every object version (boto3 `list_object_versions` + `get_object`), with a
   manifest of keys, version ids and sha256.

When the load ends the portal is killed (SIGKILL), as if its machine were lost, with emails still unsent.
The restore is timed (the RTO): a new database with `pg_restore`; the emails unsent in the backup that the
mail server's log (here the sink's) shows delivered, marked sent; a new bucket holding, for every document
the restored database names, the newest copied version of its object; gunicorn and a worker started on
them with a fresh Redis database. Goals: every table's row count equals the snapshot's; every document's
object has the sha256 it had in the live bucket and downloads through the restored portal; the restored
portal serves pages and a signed-in person's bookings; after one outbox sweep no email is sent twice
(rows already sent stay sent) and every email in the backup has been sent. Figures: dump and copy times,
what the live portal committed after the snapshot (what a restore from this backup loses: the recovery
point), restore and start times (the recovery time).
"""

import hashlib
import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from . import stack
from .harness import Drill, fmt_counts, http_call, status_counts
from .stack import PG_PORT, REDIS_PORT, WEB2_PORT, log

PEOPLE = int(os.environ.get("DRILL_BACKUP_PEOPLE", "80"))
EVENTS = int(os.environ.get("DRILL_BACKUP_EVENTS", "3"))
APPLICANTS = int(os.environ.get("DRILL_BACKUP_APPLICANTS", "24"))
DURATION = float(os.environ.get("DRILL_BACKUP_DURATION", "40"))
BACKUP_AT = float(os.environ.get("DRILL_BACKUP_AT", "28"))
# The bucket copy starts this long after the snapshot, standing in for the minutes a production-size dump
# takes: uploads replaced in between are named by the dump but no longer current in the bucket.
COPY_LAG = float(os.environ.get("DRILL_BACKUP_COPY_LAG", "6"))
# A slow mail server (or a burst): emails queue up, so some are unsent at the snapshot and some still unsent
# when the portal is lost.
SINK_DELAY = float(os.environ.get("DRILL_BACKUP_SINK_DELAY", "0.6"))
# History already in the database (sent emails, people), so the dump and restore have something to move.
HISTORY_EMAILS = int(os.environ.get("DRILL_BACKUP_HISTORY_EMAILS", "20000"))
HISTORY_PEOPLE = int(os.environ.get("DRILL_BACKUP_HISTORY_PEOPLE", "2000"))
LIVE_BUCKET = "drills-uploads-live"
RESTORED_BUCKET = "drills-uploads-restored"


def _pg(tool: str, *args: str) -> None:
    subprocess.run(
        [str(stack.pg_bin() / tool), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", *args],
        check=True,
        capture_output=True,
    )


def _tables(db: str) -> list[str]:
    return stack.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", db=db).split()


def _counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from pg_tables
        counts[table] = cursor.fetchone()[0]
    return counts


def seed_history(drill: Drill) -> None:
    """Past people and their sent emails (about 3 KB each, as the booking emails are)."""
    from datetime import timedelta

    from django.utils import timezone

    from crossector.core.models import OutboundEmail

    people = drill.people(HISTORY_PEOPLE, "past")
    body = "Your place is booked. " * 60
    sent = timezone.now() - timedelta(days=30)
    for start in range(0, HISTORY_EMAILS, 2000):
        OutboundEmail.objects.bulk_create(
            [
                OutboundEmail(
                    idempotency_key=f"history-{n}",
                    to=people[n % len(people)].email,
                    user=people[n % len(people)],
                    subject=f"Booking confirmed: past event {n % 97}",
                    body_text=body,
                    body_html=f"<p>{body}</p>" * 2,
                    status=OutboundEmail.Status.SENT,
                    attempts=1,
                    created_at=sent,
                    sent_at=sent,
                )
                for n in range(start, min(start + 2000, HISTORY_EMAILS))
            ]
        )


def take_backup(db: str, target: Path) -> dict:
    """The database dump (at one snapshot, counted as of that snapshot) and then the copy of the bucket."""
    import psycopg2

    target.mkdir()
    conn = psycopg2.connect(host="127.0.0.1", port=PG_PORT, user="postgres", dbname=db)
    conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
    cursor = conn.cursor()
    cursor.execute("SELECT pg_export_snapshot()")
    snapshot = cursor.fetchone()[0]
    snapshot_at = time.time()
    snapshot_started = time.monotonic()
    counts = _counts(cursor, _tables(db))
    cursor.execute("SELECT message_id::text, status FROM core_outboundemail")
    outbox = dict(cursor.fetchall())
    t0 = time.monotonic()
    _pg("pg_dump", "-Fc", f"--snapshot={snapshot}", "-d", db, "-f", str(target / "portal.dump"))
    dump_seconds = time.monotonic() - t0
    conn.rollback()
    conn.close()

    time.sleep(max(COPY_LAG - (time.time() - snapshot_at), 0))
    t0 = time.monotonic()
    client = stack.s3_client()
    manifest = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=LIVE_BUCKET):
        for marker in page.get("DeleteMarkers", []):
            manifest.append({"key": marker["Key"], "deleted": True, "latest": marker["IsLatest"]})
        for version in page.get("Versions", []):
            body = client.get_object(Bucket=LIVE_BUCKET, Key=version["Key"], VersionId=version["VersionId"])
            content = body["Body"].read()
            name = hashlib.sha256(f"{version['Key']}|{version['VersionId']}".encode()).hexdigest()
            (target / name).write_bytes(content)
            manifest.append(
                {
                    "key": version["Key"],
                    "version": version["VersionId"],
                    "modified": version["LastModified"].timestamp(),
                    "latest": version["IsLatest"],
                    "file": name,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "bytes": len(content),
                }
            )
    (target / "manifest.json").write_text(json.dumps(manifest))
    return {
        "snapshot_at": snapshot_at,
        "counts": counts,
        "outbox": outbox,
        "dump_seconds": dump_seconds,
        "dump_bytes": (target / "portal.dump").stat().st_size,
        "copy_seconds": time.monotonic() - t0,
        "copy_after": t0 - snapshot_started,
        "manifest": manifest,
    }


def restore(backup: dict, source: Path, db: str) -> dict:
    """A fresh database from the dump; a fresh bucket with, for each document the database names, the newest
    copied version of its object. Returns the seconds each step took and what was put in the bucket."""
    t0 = time.monotonic()
    stack.psql(f"CREATE DATABASE {db} TEMPLATE template0")
    _pg("pg_restore", "--no-owner", "-j", "2", "-d", db, str(source / "portal.dump"))
    db_seconds = time.monotonic() - t0

    t0 = time.monotonic()
    stack.s3_bucket(RESTORED_BUCKET, versioned=True)
    client = stack.s3_client()
    newest = {}
    for entry in backup["manifest"]:
        if not entry.get("deleted") and entry["modified"] >= newest.get(entry["key"], {}).get("modified", -1):
            newest[entry["key"]] = entry
    restored, missing = {}, []
    for key in stack.psql("SELECT file FROM awards_document", db=db).split():
        entry = newest.get(key)
        if entry is None:
            missing.append(key)
            continue
        client.put_object(Bucket=RESTORED_BUCKET, Key=key, Body=(source / entry["file"]).read_bytes())
        restored[key] = entry["sha256"]
    return {"db_seconds": db_seconds, "bucket_seconds": time.monotonic() - t0, "restored": restored, "missing": missing}


def main() -> dict:  # noqa: PLR0915 - one drill, read top to bottom
    drill = Drill("backup", **stack.s3_env(LIVE_BUCKET))
    run = drill.run
    from django.db import close_old_connections

    from crossector.core.models import OutboundEmail
    from tests.awards.factories import AwardCallFactory, application, pdf_bytes

    stack.s3_start(run)
    stack.s3_bucket(LIVE_BUCKET, versioned=True)
    stack.redis_start(run)
    stack.sink_start(run, delay=SINK_DELAY)
    seed_history(drill)
    users = drill.people(PEOPLE, "booker")
    events = drill.events(EVENTS, capacity=PEOPLE // 2)
    call = AwardCallFactory(slug="drill-call")
    drafts = [application(call=call, applicant=u) for u in drill.people(APPLICANTS, "applicant")]
    stack.gunicorn_start(run, drill.env)
    stack.worker_start(run, drill.env)

    cookies = [drill.session(u) for u in users]
    jobs = drill.booking_jobs(cookies, [e.slug for e in events], duration=DURATION, retry=True)
    jobs += drill.browse_jobs(["/", "/events/", f"/events/{events[0].slug}/", "/awards/"], duration=DURATION, every=0.5)
    uploads = run.dir / "uploads"
    uploads.mkdir()
    sent_files = {}  # sha256 of every file an applicant sent → applicant's application id
    applicant_cookies = {}
    for i, draft in enumerate(drafts):
        cookie, csrf = drill.session(draft.applicant)
        applicant_cookies[draft.pk] = cookie
        for r in range(2):  # an upload, then a replacement (which deletes the first object)
            content = pdf_bytes(f"CV of applicant {i}, version {r + 1}", padding=30_000)
            path = uploads / f"cv-{draft.pk}-{r}.pdf"
            path.write_bytes(content)
            sent_files[hashlib.sha256(content).hexdigest()] = draft.pk
            jobs.append(
                {
                    "at": round(1 + i * (DURATION / 2 - 2) / APPLICANTS + r * DURATION / 2, 3),
                    "kind": "upload",
                    "method": "POST",
                    "path": f"/awards/{call.slug}/apply/documents/",
                    "cookie": cookie,
                    "csrf": csrf,
                    "data": {"csrfmiddlewaretoken": csrf, "save": ""},
                    "files": {"cv": str(path)},
                    "retry": True,
                }
            )
    close_old_connections()
    log(f"load: {len(jobs)} requests over {DURATION:.0f} s; backup at {BACKUP_AT:.0f} s")
    load, out = drill.start_load(jobs, threads=6)
    time.sleep(BACKUP_AT)
    backup = take_backup(drill.db, run.dir / "backup")
    log(
        f"backup: dump {backup['dump_seconds']:.2f} s ({backup['dump_bytes'] / 1e6:.1f} MB), bucket copy "
        f"{backup['copy_seconds']:.2f} s ({len(backup['manifest'])} versions and delete markers)"
    )
    results = drill.wait_load(load, out)
    load_ended = time.time()
    for name in ("gunicorn", "worker"):  # the machine is lost, with the emails it had not sent yet
        run.kill(name, signal.SIGKILL)
    time.sleep(0.5)
    mail_log = Counter(r["id"] for r in drill.sink_records())  # the mail server's log: what it accepted
    close_old_connections()
    from django.db import connection

    with connection.cursor() as cursor:
        live = _counts(cursor, list(backup["counts"]))
    connection.close()
    log("live portal killed; restoring")

    # --- restore (the recovery time) -------------------------------------------------------------------------
    restored_db = f"{drill.db}_restored"
    t0 = time.monotonic()
    done = restore(backup, run.dir / "backup", restored_db)
    # Emails unsent in the backup that the mail server's log shows delivered: marked sent before any worker runs.
    sent_before = {m for m, s in backup["outbox"].items() if s == OutboundEmail.Status.SENT}
    unsent_before = {m for m, s in backup["outbox"].items() if s != OutboundEmail.Status.SENT}
    in_mail_log = sorted(m for m in unsent_before if mail_log[m])
    if in_mail_log:
        stack.psql(
            "UPDATE core_outboundemail SET status = 'sent', sent_at = now(), last_error = '' "
            f"WHERE status IN ('queued', 'sending') AND message_id::text IN ({','.join(repr(m) for m in in_mail_log)})",
            db=restored_db,
        )
    env = stack.django_env(
        run,
        restored_db,
        **stack.s3_env(RESTORED_BUCKET),
        SITE_URL=f"http://127.0.0.1:{WEB2_PORT}",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{REDIS_PORT}/2",
        CACHE_URL=f"rediscache://127.0.0.1:{REDIS_PORT}/3",
        OUTBOX_STALE_AFTER_SECONDS=0,  # the sweep run once below treats every unsent row as overdue
        OUTBOX_SENDING_TIMEOUT_SECONDS=0,
    )
    start_seconds = stack.gunicorn_start(run, env, name="restored-web", port=WEB2_PORT)
    rto = time.monotonic() - t0
    stack.worker_start(run, env, name="restored-worker")
    log(f"restored and serving in {rto:.1f} s")

    # --- the restored data -----------------------------------------------------------------------------------
    restored_counts = {t: int(stack.psql(f'SELECT count(*) FROM "{t}"', db=restored_db)) for t in backup["counts"]}
    mismatched = {t: (backup["counts"][t], n) for t, n in restored_counts.items() if n != backup["counts"][t]}
    extra_tables = set(stack.psql("SELECT tablename FROM pg_tables WHERE schemaname='public'", db=restored_db).split())
    extra_tables -= set(backup["counts"])
    documents = [
        line.split("|")
        for line in stack.psql("SELECT id, file, application_id FROM awards_document", db=restored_db).splitlines()
    ]
    source_sha = {e["key"]: e["sha256"] for e in backup["manifest"] if not e.get("deleted")}
    checksums_ok = downloads_ok = 0
    client = stack.s3_client()
    for pk, key, application_id in documents:
        stored = hashlib.sha256(client.get_object(Bucket=RESTORED_BUCKET, Key=key)["Body"].read()).hexdigest()
        checksums_ok += stored == source_sha.get(key) and sent_files.get(stored) == int(application_id)
        status, headers, _ = http_call(
            "GET", f"/awards/documents/{pk}/", port=WEB2_PORT, cookie=applicant_cookies[int(application_id)]
        )
        if status == 302:
            import urllib.request

            with urllib.request.urlopen(headers["Location"], timeout=30) as response:
                downloads_ok += hashlib.sha256(response.read()).hexdigest() == stored
    deleted_latest = {e["key"] for e in backup["manifest"] if e.get("deleted") and e["latest"]}
    plain_copy_misses = sum(1 for _, key, _ in documents if key in deleted_latest)

    pages = {p: http_call("GET", p, port=WEB2_PORT) for p in ("/health/", "/", "/events/", "/awards/")}
    pages[f"/events/{events[0].slug}/"] = http_call("GET", f"/events/{events[0].slug}/", port=WEB2_PORT)
    mine = http_call("GET", "/events/bookings/", port=WEB2_PORT, cookie=cookies[0][0])
    page_statuses = Counter(s for s, _, _ in pages.values())
    serves = all(s == 200 and "Traceback" not in t for s, _, t in pages.values()) and mine[0] == 200
    signed_in_ok = mine[0] == 200 and events[0].title in mine[2]

    # --- email: one sweep on the restored portal --------------------------------------------------------------
    sweep = subprocess.run(
        [
            stack.PYTHON,
            "manage.py",
            "shell",
            "-c",
            "from crossector.core.services import outbox_requeue_stale; print(len(outbox_requeue_stale()))",
        ],
        cwd=stack.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    handed = int(sweep.stdout.strip().splitlines()[-1])
    unsent_sql = "SELECT count(*) FROM core_outboundemail WHERE status IN ('queued', 'sending')"
    stack.wait_for(lambda: stack.psql(unsent_sql, db=restored_db) == "0", "restored outbox sent", timeout=120)
    time.sleep(1)
    after = Counter(r["id"] for r in drill.sink_records())
    resent = sum(after[m] - mail_log[m] for m in sent_before)
    statuses = dict(
        line.split("|")
        for line in stack.psql("SELECT message_id::text, status FROM core_outboundemail", db=restored_db).splitlines()
    )
    still_sent = sum(1 for m in sent_before if statuses.get(m) == "sent")
    sent_now = sum(1 for m in unsent_before if after[m] > mail_log[m])
    twice = sum(1 for m in unsent_before if after[m] > 1)
    never = sum(1 for m in unsent_before if after[m] == 0)

    # --- the recovery point: what the live portal committed after the snapshot --------------------------------
    after_snapshot = {t: live[t] - backup["counts"][t] for t in live if live[t] != backup["counts"][t]}
    key_tables = ("events_booking", "awards_document", "core_outboundemail")
    lost_rows = ", ".join(f"{t} {after_snapshot.get(t, 0):+d}" for t in key_tables)
    upload_results = status_counts(results, "upload")
    errors = sum(1 for r in results if r["status"] in (0, 500) or r.get("traceback"))
    checks = {
        "no 500 under load": errors == 0,
        "table counts": not mismatched and not extra_tables,
        "document checksums": checksums_ok == len(documents) and not done["missing"],
        "downloads": downloads_ok == len(documents),
        "serves": serves and signed_in_ok,
        "no email sent twice": resent == 0 and still_sent == len(sent_before) and twice == 0,
        "every email in the backup sent": never == 0,
    }
    failed = [name for name, ok in checks.items() if not ok]
    return drill.finish(
        {
            "drill": "7. Backup under load, restored into a fresh database and bucket",
            "load": (
                f"{PEOPLE} people × {EVENTS} events booking, browsing every 0.5 s, {APPLICANTS} applicants "
                f"uploading a CV and replacing it, over {DURATION:.0f} s, 6 threads; backup at {BACKUP_AT:.0f} s"
            ),
            "checked": (
                "row count of every table against the snapshot's; sha256 of every document; the restored portal's "
                "pages, sessions and downloads; the sink after one outbox sweep"
            ),
            "figures": (
                f"dump {backup['dump_seconds']:.1f} s ({backup['dump_bytes'] / 1e6:.1f} MB, "
                f"{sum(backup['counts'].values())} rows in {len(backup['counts'])} tables), bucket copy "
                f"{backup['copy_seconds']:.1f} s from {backup['copy_after']:.0f} s after the snapshot "
                f"({sum(1 for e in backup['manifest'] if not e.get('deleted'))} object versions); committed after "
                f"the snapshot, so not in the backup (load ended {load_ended - backup['snapshot_at']:.0f} s after it): "
                f"{lost_rows}. Restore: database {done['db_seconds']:.1f} s, bucket {done['bucket_seconds']:.1f} s "
                f"({len(done['restored'])} objects), gunicorn answering {start_seconds:.1f} s: RTO {rto:.1f} s. "
                f"Tables with a different count {len(mismatched)}/{len(restored_counts)}; documents with the source "
                f"sha256 {checksums_ok}/{len(documents)} (missing {len(done['missing'])}; a copy of current objects "
                f"only would have missed {plain_copy_misses}, replaced after the snapshot), downloaded through the "
                f"restored portal {downloads_ok}/{len(documents)}; pages {fmt_counts(page_statuses)}, "
                f"a person's bookings {mine[0]}; sweep handed {handed} unsent rows to the worker: emails sent before "
                f"the backup sent again {resent} (still 'sent' {still_sent}/{len(sent_before)}), queued at the "
                f"snapshot {len(unsent_before)}: in the mail server's log, so marked sent {len(in_mail_log)}, sent by "
                f"the restored portal {sent_now}, sent twice {twice}, never sent {never}. Load: uploads "
                f"{fmt_counts(upload_results)}, all {fmt_counts(status_counts(results))}"
                + (f"; FAILED: {', '.join(failed)}" if failed else "")
            ),
            "passed": not failed,
            "notes": (
                "the restored portal's sweep ran with OUTBOX_STALE_AFTER_SECONDS=OUTBOX_SENDING_TIMEOUT_SECONDS=0 "
                "(as it would once the production 300/900 s have passed); moto's server as the S3 store"
            ),
        }
    )


if __name__ == "__main__":
    main()
