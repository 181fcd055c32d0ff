"""Run every fault drill and rewrite docs/reliability.md with the figures.

    .venv/bin/python -m bench.drills.run            # all seven (about 20 minutes)
    .venv/bin/python -m bench.drills.run redis smtp # some of them (the report then lists only those)

One private PostgreSQL cluster is made for the run (a migrated template database; each drill gets a
fresh copy); each drill starts its own Redis, SMTP sink, gunicorn, Celery worker(s) and beat(s), and for
drills 6 and 7 moto's S3 server and HAProxy (installed from Debian's packages when missing), and stops
them when it ends. Everything is torn down on exit, Ctrl-C or SIGTERM. Exit status 1 when a drill
fails (the report is still written).
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from . import harness, stack
from .stack import PYTHON, ROOT, Run, log

DRILLS = {
    "redis": "drill_redis",
    "worker": "drill_worker_kill",
    "smtp": "drill_smtp",
    "postgres": "drill_postgres",
    "beats": "drill_two_beats",
    "twonodes": "drill_two_nodes",
    "backup": "drill_backup",
}
REPORT = ROOT / "docs" / "reliability.md"
TEMPLATE = Path(__file__).with_name("reliability.md.in")
DRILL_TIMEOUT = 1200


def _version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def machine() -> str:
    cpus = os.cpu_count()
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{platform.system()} {platform.release()}, {cpus} cores{mem} (shared with other work at the time); "
        f"Python {platform.python_version()}; {_version([str(stack.pg_bin() / 'postgres'), '--version'])}; "
        f"{_version(['redis-server', '--version']).split(' sha=')[0]}; "
        f"{_version(['haproxy', '-v']).split(' - ')[0] if shutil.which('haproxy') else 'no HAProxy'}; "
        f"moto {_package_version('moto')} as the S3 store; gunicorn with gunicorn.conf.py, "
        f"WEB_CONCURRENCY={stack.WEB_WORKERS}; Celery worker --concurrency={stack.CELERY_CONCURRENCY}"
    )


def write_report(results: list[dict], command: str, started: datetime, elapsed: float) -> None:
    rows = ["| drill | load | what was checked | result figures | pass/fail |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        verdict = "**pass**" if r["passed"] else "**FAIL**"
        cells = [r["drill"], r["load"], r["checked"], f"{r['figures']}. <br>*{r['notes']}*", verdict]
        rows.append("| " + " | ".join(str(c).replace("|", "/").replace("\n", " ") for c in cells) + " |")
    text = TEMPLATE.read_text().format(
        date=started.strftime("%Y-%m-%d %H:%M UTC"),
        command=command,
        machine=machine(),
        elapsed=f"{elapsed / 60:.0f}",
        table="\n".join(rows),
    )
    REPORT.write_text(text)
    log(f"wrote {REPORT.relative_to(ROOT)}")


def main() -> int:
    names = sys.argv[1:] or list(DRILLS)
    unknown = [n for n in names if n not in DRILLS]
    if unknown:
        raise SystemExit(f"unknown drill(s) {unknown}; choose from {list(DRILLS)}")
    started = datetime.now(UTC)
    t0 = time.monotonic()
    run = Run("run")
    static = harness.prepare_cluster(run)
    env = {
        **os.environ,
        "DRILLS_CLUSTER_READY": "1",
        "DRILLS_STATIC_ROOT": str(static),
        "DRILLS_PG_DATA": str(run.pg_data),
    }
    results = []
    for name in names:
        out = run.dir / f"{name}.result.json"
        log(f"--- drill {name} ---")
        proc = run.spawn(
            f"drill-{name}",
            [PYTHON, "-m", f"bench.drills.{DRILLS[name]}"],
            env={**env, "DRILLS_RESULT": str(out)},
            to_log=False,
        )
        try:
            proc.wait(timeout=DRILL_TIMEOUT)
        except subprocess.TimeoutExpired:
            log(f"drill {name} took longer than {DRILL_TIMEOUT} s: stopped")
        run.kill(f"drill-{name}", wait=60)
        if out.exists():
            results.append(json.loads(out.read_text()))
        else:
            results.append(
                {
                    "drill": name,
                    "load": "-",
                    "checked": "-",
                    "figures": "the drill did not finish (see its output)",
                    "passed": False,
                    "notes": f"exit status {proc.returncode}",
                }
            )
    command = "make drills" if len(names) == len(DRILLS) else f"python -m bench.drills.run {' '.join(names)}"
    write_report(results, command, started, time.monotonic() - t0)
    for r in results:
        log(f"{'PASS' if r['passed'] else 'FAIL'}  {r['drill']}")
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
