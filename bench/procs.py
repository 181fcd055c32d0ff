"""The processes a benchmark run starts and stops: a private Redis, gunicorn, a Celery worker, the SMTP sink.

Each runs the way production runs it (Procfile, gunicorn.conf.py): DEBUG off, a real SECRET_KEY,
ALLOWED_HOSTS 127.0.0.1, manifest static files, PostgreSQL, Redis for cache and broker. Only ports of
our own are used, so the shared PostgreSQL and Redis other work relies on are never flushed or stopped.
"""

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
PY = sys.executable


def bench_env(*, db_name: str, redis_port: int, web_port: int, smtp_port: int, secret_key: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": secret_key,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"http://127.0.0.1:{web_port}",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
            "CACHE_URL": f"rediscache://127.0.0.1:{redis_port}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/1",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "STATIC_ROOT": str(WORK / "staticfiles"),
            "PRIVATE_MEDIA_ROOT": str(WORK / "private-media"),
            "GUNICORN_BIND": f"127.0.0.1:{web_port}",
            "BENCH_BASELINE": "true",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "crossector.settings",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def run(cmd: list[str], env: dict, **kwargs) -> None:
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kwargs)


class Redis:
    """A private redis-server on its own port, nothing kept on disk."""

    def __init__(self, port: int):
        self.port = port
        self.proc = None

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise SystemExit("redis-server is not installed")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                import redis

                redis.Redis(port=self.port).ping()
                return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.05)
        raise SystemExit(f"redis-server did not start on port {self.port}")

    def client(self, db: int = 0):
        import redis

        return redis.Redis(port=self.port, db=db)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class _Logged:
    """A child process writing to a log file: stopped with SIGTERM, killed after 30 s."""

    proc = None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if getattr(self, "logfile", None):
            self.logfile.close()


class Gunicorn(_Logged):
    def __init__(self, env: dict, *, workers: int, log: Path):
        self.env = {**env, "WEB_CONCURRENCY": str(workers)}
        self.log = log
        self.proc = None
        self.port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])

    def start(self) -> None:
        self.logfile = open(self.log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(Path(PY).parent / "gunicorn"), "-c", "gunicorn.conf.py", "crossector.wsgi"],
            env=self.env,
            cwd=ROOT,
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/bench/baseline/", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer; see {self.log}")

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid)


class Celery(_Logged):
    def __init__(self, env: dict, *, concurrency: int, log: Path):
        self.env = env
        self.concurrency = concurrency
        self.log = log
        self.proc = None

    def start(self) -> None:
        self.logfile = open(self.log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                str(Path(PY).parent / "celery"),
                "-A",
                "crossector",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={self.concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=self.logfile,
            stderr=subprocess.STDOUT,
        )

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]


class SmtpSink:
    def __init__(self, port: int, stats: Path):
        self.port = port
        self.stats_file = stats
        self.proc = None

    def start(self) -> None:
        self.stats_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen([PY, "-m", "bench.smtpsink", str(self.port), str(self.stats_file)], cwd=ROOT)
        for _ in range(100):
            if self.stats_file.exists():
                return
            time.sleep(0.1)
        raise SystemExit("the SMTP sink did not start")

    def stats(self) -> dict:
        import json

        try:
            return json.loads(self.stats_file.read_text())
        except (OSError, ValueError):
            return {"received": 0, "distinct": 0, "duplicates": []}

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
