"""The one table, and docs/performance.md written from it."""

import contextlib
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from .procs import ROOT

PUBLIC = ("home /", "event list", "event page", "hub page", "call page")
SIGNED_IN = ("my bookings (signed in)", "my applications (signed in)", "directory (signed in)")


def _f(value, digits=0) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


def rows(results: dict) -> list[tuple[str, str, str, str, str]]:
    """(what, figure, ratio to baseline, goal, met)."""
    out = []
    browse = results.get("browse")
    base_get = base_post = None
    if browse:
        base_get = browse["baseline GET"]["rps"]
        base_post = browse["baseline POST"]["rps"]
        for name in ("baseline GET", "baseline POST"):
            b = browse[name]
            out.append(
                (
                    f"{name} (`/bench/baseline/`)",
                    f"{_f(b['rps'])} req/s, p50/p95/p99 {_f(b['p50_ms'], 1)}/{_f(b['p95_ms'], 1)}/"
                    f"{_f(b['p99_ms'], 1)} ms, {b['errors']} errors",
                    "1.00",
                    "reference",
                    "",
                )
            )
        for name in PUBLIC + SIGNED_IN:
            b = browse[name]
            ratio = b["rps"] / base_get if base_get else 0
            public = name in PUBLIC
            goal = "≥ 0.50 and p95 < 50 ms" if public else "≥ 0.25"
            met = ratio >= 0.5 and b["p95_ms"] < 50 if public else ratio >= 0.25
            out.append(
                (
                    name,
                    f"{_f(b['rps'])} req/s, p50/p95/p99 {_f(b['p50_ms'], 1)}/{_f(b['p95_ms'], 1)}/"
                    f"{_f(b['p99_ms'], 1)} ms, {b['errors']} errors",
                    f"{ratio:.2f}",
                    goal,
                    _ok(met and b["errors"] == 0),
                )
            )
    rush = results.get("rush")
    if rush:
        per_s = rush["bookings_per_min"] / 60
        ratio = per_s / base_post if base_post else 0
        exact = all(
            r["confirmed"] == rush["capacity"] and r["waiting"] == rush["users"] - rush["capacity"]
            for r in rush["runs"]
        )
        out.append(
            (
                f"booking rush: {rush['users']} people, {rush['capacity']} places",
                f"{_f(rush['bookings_per_min'])} bookings/min (p95 {_f(rush['p95_ms'])} ms); confirmed/waiting "
                + ", ".join(f"{r['confirmed']}/{r['waiting']}" for r in rush["runs"])
                + f"; overbooked {rush['overbooked']}; errors {rush['errors']}",
                f"{ratio:.2f} (of POST)",
                "≥ 6,000/min, exact split, 0 overbooked, 0 errors",
                _ok(rush["bookings_per_min"] >= 6000 and exact and rush["overbooked"] == 0 and rush["errors"] == 0),
            )
        )
    dl = results.get("deadline")
    if dl:
        out.append(
            (
                f"deadline rush: {dl['applicants']} applicants × 3 saves + submit",
                f"save p50/p95/p99 {_f(dl['save_p50_ms'], 1)}/{_f(dl['save_p95_ms'], 1)}/{_f(dl['save_p99_ms'], 1)}"
                f" ms; submitted {_f(dl['submitted'])}, refused after deadline {_f(dl['refused_after_deadline'])};"
                f" errors before deadline {dl['errors_before_deadline']}; accepted late {dl['late_accepted']};"
                f" 5xx/connection errors {dl['server_errors']}",
                "",
                "0 errors before, 0 late, save p95 < 150 ms",
                _ok(dl["errors_before_deadline"] == 0 and dl["late_accepted"] == 0 and dl["save_p95_ms"] < 150),
            )
        )
    for key, label in (("deadline_sweep", "deadline-reminder sweep"), ("event_sweep", "event-reminder sweep")):
        s = results.get(key)
        if s:
            extra = f" in {s['batches']:.0f} batches of 500" if "batches" in s else ""
            out.append(
                (
                    f"{label} over {_f(s['rows'])} rows",
                    f"{_f(s['seconds'], 1)} s, {_f(s['queued'])} queued{extra}; second run queued "
                    f"{s['second_run_queued']}",
                    "",
                    "all queued once, rerun 0",
                    _ok(s["queued"] == s["rows"] and s["second_run_queued"] == 0),
                )
            )
    m = results.get("mail")
    if m:
        out.append(
            (
                f"Celery worker → SMTP sink, {_f(m['emails'])} outbox emails",
                f"{_f(m['emails_per_s'], 1)} emails/s; received {_f(m['received'])}, lost {m['lost']}, "
                f"duplicated {m['duplicated']}",
                "",
                "0 lost, 0 duplicated",
                _ok(m["lost"] == 0 and m["duplicated"] == 0),
            )
        )
    growth = results.get("growth")
    if growth:
        for page in ("event list", "event page", "admin application list"):
            p95 = [growth[f][page]["p95_ms"] for f in ("1x", "10x", "100x")]
            queries = [growth[f][page]["queries"] for f in ("1x", "10x", "100x")]
            flat = max(p95) <= 1.2 * min(p95) and len(set(queries)) == 1
            out.append(
                (
                    f"growth: {page} (signed in)",
                    "p95 "
                    + " / ".join(f"{_f(v, 1)}" for v in p95)
                    + " ms at "
                    + " / ".join(
                        f"{growth[f]['events']:,} ev, {growth[f]['applications']:,} apps" for f in ("1x", "10x", "100x")
                    )
                    + f"; queries {' / '.join(str(q) for q in queries)}",
                    "",
                    "within 20%, same queries",
                    _ok(flat),
                )
            )
    if "web_peak_rss_mb" in results:
        mail_rss = (results.get("mail") or {}).get("celery_peak_rss_mb")
        out.append(
            (
                "peak RSS after the runs",
                f"gunicorn worker {_f(results['web_peak_rss_mb'], 0)} MB; Celery worker {_f(mail_rss, 0)} MB",
                "",
                "reported",
                "",
            )
        )
    return out


def table(results: dict) -> str:
    lines = ["| what | figure (median of runs) | ratio to baseline | goal | met |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(r)} |" for r in rows(results)]
    return "\n".join(lines)


def machine() -> str:
    cores = os.cpu_count()
    try:
        mem_kb = int(
            next(
                line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
            ).split()[1]
        )
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        mem = "unknown"
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    try:
        load = "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = ""
    pg = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"], capture_output=True, text=True
    ).stdout.strip()
    return (
        f"{cores} cores ({cpu}), {mem} memory, {load} at the end of the run; Python {platform.python_version()}, "
        f"PostgreSQL {pg}"
    )


def write_doc(results: dict, table_text: str, command: str) -> None:
    cfg = results["config"]
    notes = (ROOT / "bench" / "notes.md").read_text()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    # BENCH_CONDITIONS: a sentence on what else the machine was doing (e.g. other test suites running).
    conditions = f"- **Conditions**: {os.environ['BENCH_CONDITIONS']}\n" if os.environ.get("BENCH_CONDITIONS") else ""
    doc = f"""# Performance

Written by `make bench` ({command}) on {now}; do not edit by hand: the narrative comes from
`bench/notes.md`, the figures from the run.

- **Machine**: {results.get("machine") or machine()}.
- **Run**: data scale {cfg["scale"]}, each figure the median of {cfg["repeats"]} run(s), {cfg["workers"]} gunicorn
  sync workers (`gunicorn.conf.py`, `WEB_CONCURRENCY`), browsing at 16 connections for {cfg["duration"]:.0f} s after
  {cfg["warmup"]:.0f} s warm-up; the whole run took {results.get("elapsed_minutes", 0):.0f} minutes.
{conditions}- **Ratios** are to the baseline view (`/bench/baseline/`: the full middleware stack, no query, no template)
  measured in the same run, because absolute figures on a shared machine drift.

{table_text}

{notes}
"""
    (ROOT / "docs" / "performance.md").write_text(doc)


if __name__ == "__main__":  # rewrite docs/performance.md from a saved run: python -m bench.report [results.json]
    import json
    import sys

    saved = json.loads(
        Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "bench" / ".work" / "results.json").read_text()
    )
    text = table(saved)
    write_doc(saved, text, command=saved.get("command", "python -m bench.run --write"))
    print(text)
