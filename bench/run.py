"""Run every benchmark and print one table; with --write, rewrite docs/performance.md.

    .venv/bin/python -m bench.run --write            # what `make bench` runs: full size, 3 runs each
    BENCH_SCALE=0.1 .venv/bin/python -m bench.run --quick   # while developing: a tenth of the data, 1 run

The portal runs as production runs it (gunicorn.conf.py, DEBUG off, PostgreSQL, Redis, manifest static
files); the load comes from a separate process on loopback (bench/loadgen.py). Everything uses a database
and a Redis server of its own (ports below), so shared services are never flushed.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from . import procs, report


@dataclass
class Config:
    scale: float
    repeats: int
    duration: float
    warmup: float
    deadline_window: float
    sweep_rows: int
    mail_rows: int
    rush_users: int
    rush_capacity: int
    deadline_applicants: int
    workers: int
    base: str = ""


def parse() -> tuple[argparse.Namespace, Config]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one run each, short durations (and scale 0.1 unless BENCH_SCALE says otherwise)",
    )
    parser.add_argument("--write", action="store_true", help="rewrite docs/performance.md with the figures")
    parser.add_argument("--only", default="", help="comma-separated: browse,rush,deadline,sweeps,mail,growth")
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "crossector_bench"))
    parser.add_argument("--redis-port", type=int, default=int(os.environ.get("BENCH_REDIS_PORT", "6391")))
    parser.add_argument("--web-port", type=int, default=int(os.environ.get("BENCH_WEB_PORT", "8391")))
    parser.add_argument("--smtp-port", type=int, default=int(os.environ.get("BENCH_SMTP_PORT", "2591")))
    args = parser.parse_args()
    scale = float(os.environ.get("BENCH_SCALE", "0.1" if args.quick else "1"))
    repeats = int(os.environ.get("BENCH_REPEATS", "1" if args.quick else "3"))
    cores = os.cpu_count() or 1
    cfg = Config(
        scale=scale,
        repeats=repeats,
        duration=float(os.environ.get("BENCH_DURATION", "4" if args.quick else "10")),
        warmup=2.0 if args.quick else 3.0,
        deadline_window=float(os.environ.get("BENCH_DEADLINE_WINDOW", "15" if args.quick else "40")),
        sweep_rows=max(200, int(10_000 * scale)),
        mail_rows=max(100, int(5_000 * scale)),
        rush_users=max(50, int(1_000 * scale)),
        rush_capacity=max(10, int(200 * scale)),
        deadline_applicants=max(20, int(300 * scale)),
        # gunicorn.conf.py's own default (2 × cores + 1) unless WEB_CONCURRENCY says otherwise.
        workers=int(os.environ.get("WEB_CONCURRENCY", str(cores * 2 + 1))),
        base=f"http://127.0.0.1:{args.web_port}",
    )
    return args, cfg


def psql(*sql: str) -> None:
    for statement in sql:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", statement],
            check=True,
            stdout=subprocess.DEVNULL,
        )


def prepare_database(env: dict, db: str) -> None:
    psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f'CREATE DATABASE "{db}"')
    procs.run(
        [procs.PY, "manage.py", "migrate", "--noinput", "-v0"],
        {**env, "DATABASE_URL": env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + db},
    )


def median_of(runs: list[dict]) -> dict:
    """Median of every numeric figure over the runs (the first run's value for anything else)."""
    out = {}
    for key, value in runs[0].items():
        if isinstance(value, dict):
            out[key] = median_of([r[key] for r in runs])
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and all(key in r for r in runs):
            out[key] = statistics.median(r[key] for r in runs)
        else:
            out[key] = value
    out["_runs"] = len(runs)
    return out


def worst_of(runs: list[dict], keys: tuple[str, ...]) -> dict:
    """Correctness counts are reported as the worst run, not the median."""
    return {k: max(r[k] for r in runs) for k in keys}


def main() -> int:
    args, cfg = parse()
    only = set(filter(None, args.only.split(","))) or {"browse", "rush", "deadline", "sweeps", "mail", "growth"}
    procs.WORK.mkdir(parents=True, exist_ok=True)
    env = procs.bench_env(
        db_name=args.db,
        redis_port=args.redis_port,
        web_port=args.web_port,
        smtp_port=args.smtp_port,
        secret_key=procs.new_secret_key(),
    )
    started = time.time()
    print(f"bench: scale {cfg.scale}, {cfg.repeats} run(s) each, {cfg.workers} gunicorn workers", flush=True)
    prepare_database(env, args.db)
    procs.run([procs.PY, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    redis = procs.Redis(args.redis_port)
    redis.start()
    web = procs.Gunicorn(env, workers=cfg.workers, log=procs.WORK / "gunicorn.log")
    results: dict = {"config": cfg.__dict__}
    try:
        os.environ.update(env)
        import django

        django.setup()
        from . import scenarios, seed

        t = time.time()
        world = seed.world(scale=cfg.scale)
        rush_ids = seed.people(prefix="rush", count=cfg.rush_users, rng=__import__("random").Random(3))
        applicant_ids = seed.people(
            prefix="applicant", count=cfg.deadline_applicants, rng=__import__("random").Random(4)
        )
        sessions = seed.sessions([world["browser"]])
        rush_sessions = seed.sessions(rush_ids)
        applicant_sessions = seed.sessions(applicant_ids)
        scenarios.analyse()
        results["seed_seconds"] = time.time() - t
        print(f"bench: data ready in {results['seed_seconds']:.0f}s", flush=True)
        web.start()

        if "browse" in only:
            runs = [scenarios.browsing(cfg, world, sessions) for _ in range(cfg.repeats)]
            results["browse"] = median_of(runs)
            print("bench: browsing done", flush=True)
        if "rush" in only:
            runs = [
                scenarios.booking_rush(cfg, rush_sessions, cfg.rush_capacity, f"r{i}-{int(started)}")
                for i in range(cfg.repeats)
            ]
            results["rush"] = {**median_of(runs), **worst_of(runs, ("errors", "overbooked"))}
            results["rush"]["runs"] = [
                {k: r[k] for k in ("confirmed", "waiting", "overbooked", "errors")} for r in runs
            ]
            print("bench: booking rush done", flush=True)
        if "deadline" in only:
            runs = [
                scenarios.deadline_rush(cfg, applicant_sessions, f"d{i}-{int(started)}") for i in range(cfg.repeats)
            ]
            results["deadline"] = {
                **median_of(runs),
                **worst_of(runs, ("errors_before_deadline", "late_accepted", "server_errors")),
            }
            print("bench: deadline rush done", flush=True)
        if "sweeps" in only:
            runs = [scenarios.deadline_sweep(cfg, world["people"], f"s{i}-{int(started)}") for i in range(cfg.repeats)]
            results["deadline_sweep"] = {**median_of(runs), **worst_of(runs, ("second_run_queued",))}
            runs = [
                scenarios.event_reminder_sweep(cfg, world["people"], f"s{i}-{int(started)}") for i in range(cfg.repeats)
            ]
            results["event_sweep"] = {**median_of(runs), **worst_of(runs, ("second_run_queued",))}
            print("bench: sweeps done", flush=True)
        results["web_peak_rss_mb"] = max((procs.peak_rss_mb(p) for p in web.worker_pids()), default=0.0)
        web.stop()
        if "mail" in only:

            def sink():
                return procs.SmtpSink(args.smtp_port, procs.WORK / "smtp-stats.json")

            def celery():
                return procs.Celery(env, concurrency=os.cpu_count() or 1, log=procs.WORK / "celery.log")

            runs = [scenarios.mail(cfg, redis, sink, celery, f"m{i}-{int(started)}") for i in range(cfg.repeats)]
            results["mail"] = {**median_of(runs), **worst_of(runs, ("lost", "duplicated"))}
            print("bench: mail done", flush=True)
        if "growth" in only:
            growth_db = f"{args.db}_growth"
            prepare_database(env, growth_db)
            genv = {**env, "DATABASE_URL": env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + growth_db}
            redis.client(0).flushdb()
            out = subprocess.run(
                [procs.PY, "-m", "bench.growth"],
                input=json.dumps(
                    {
                        "scale": cfg.scale,
                        "env": genv,
                        "workers": cfg.workers,
                        "base": cfg.base,
                        "repeats": cfg.repeats,
                        "duration": cfg.duration,
                        "warmup": cfg.warmup,
                    }
                ),
                capture_output=True,
                text=True,
                cwd=procs.ROOT,
                env=genv,
                check=False,
            )
            if out.returncode:
                print(out.stderr[-4000:], file=sys.stderr)
                raise SystemExit("growth benchmark failed")
            results["growth"] = json.loads(out.stdout)
            print("bench: growth done", flush=True)
    finally:
        web.stop()
        redis.stop()
    results["elapsed_minutes"] = (time.time() - started) / 60
    results["command"] = " ".join(["python -m bench.run", *sys.argv[1:]])
    results["machine"] = report.machine()
    (procs.WORK / "results.json").write_text(json.dumps(results, indent=2, default=str))
    table = report.table(results)
    print(table)
    if args.write:
        report.write_doc(results, table, command=results["command"])
        print("bench: wrote docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
