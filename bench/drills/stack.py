"""The private stack a drill runs against: PostgreSQL, Redis, an SMTP sink, gunicorn, Celery.

Nothing here touches the shared services on 5432/6379. Every server is a child process on a port of
its own (DRILLS_*_PORT), started in its own process group so it can be killed, stopped and started
again, and every one is torn down on exit, on SIGINT/SIGTERM/SIGHUP, and by the next run if this one
was killed outright (each run leaves a list of its process groups in its directory under /tmp).
"""

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
BASE = Path(os.environ.get("DRILLS_TMP", tempfile.gettempdir())) / "crossector-drills"

PG_PORT = int(os.environ.get("DRILLS_PG_PORT", "5443"))
REDIS_PORT = int(os.environ.get("DRILLS_REDIS_PORT", "6393"))
WEB_PORT = int(os.environ.get("DRILLS_WEB_PORT", "8093"))
SMTP_PORT = int(os.environ.get("DRILLS_SMTP_PORT", "2526"))
WEB2_PORT = int(os.environ.get("DRILLS_WEB2_PORT", "8094"))  # the second web node (drills 6 and 7)
LB_PORT = int(os.environ.get("DRILLS_LB_PORT", "8090"))  # HAProxy in front of both nodes
S3_PORT = int(os.environ.get("DRILLS_S3_PORT", "9093"))  # moto's S3 server: the uploads bucket
S3_KEY, S3_SECRET, S3_REGION = "drills-access-key", "drills-secret-key", "eu-west-2"
WEB_WORKERS = os.environ.get("DRILLS_WEB_WORKERS", "3")
CELERY_CONCURRENCY = os.environ.get("DRILLS_CELERY_CONCURRENCY", "2")


def log(message: str) -> None:
    print(f"[drills {time.strftime('%H:%M:%S')}] {message}", flush=True)


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    if not pg_ctl:
        raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    return Path(pg_ctl).parent


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the postgres user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


# --- Process bookkeeping ----------------------------------------------------------------------


class Run:
    """A directory for this run and the process groups started in it."""

    def __init__(self, name: str):
        BASE.mkdir(parents=True, exist_ok=True)
        os.chmod(BASE, 0o777)
        reap_stale_runs()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{name}-{os.getpid()}-", dir=BASE))
        os.chmod(self.dir, 0o777)
        (self.dir / "owner").write_text(str(os.getpid()))
        self.procs: dict[str, subprocess.Popen] = {}
        self.pg_data: Path | None = None
        self._closed = False
        atexit.register(self.close)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, frame):
        log(f"signal {signum}: cleaning up")
        self.close()
        raise SystemExit(128 + signum)

    def _record(self) -> None:
        state = {"pgids": [p.pid for p in self.procs.values() if p.poll() is None], "pg_data": str(self.pg_data or "")}
        (self.dir / "state.json").write_text(json.dumps(state))

    def spawn(
        self, name: str, cmd: list[str], *, env: dict | None = None, cwd: Path = ROOT, to_log: bool = True
    ) -> subprocess.Popen:
        logfile = open(self.dir / f"{name}.log", "ab") if to_log else None  # noqa: SIM115 - open for the child's life
        err = subprocess.STDOUT if to_log else None
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=logfile, stderr=err, start_new_session=True)
        self.procs[name] = proc
        self._record()
        return proc

    def kill(self, name: str, sig: int = signal.SIGTERM, *, wait: float = 15.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        _kill_group(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        # Children of a group leader (pool processes) may outlive it by a moment.
        _kill_group(proc.pid, signal.SIGKILL)
        self._record()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for name in list(self.procs):
            self.kill(name, wait=10)
        if self.pg_data:
            pg_stop(self.pg_data, mode="immediate")
        keep = os.environ.get("DRILLS_KEEP_LOGS")
        if keep:  # for looking into a failed drill: the processes' logs, copied before the run dir goes
            target = Path(keep) / self.dir.name.split("-")[0]
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True, exist_ok=True)
            for path in [*self.dir.glob("*.log"), *self.dir.glob("*.json*")]:
                shutil.copy(path, target)
        shutil.rmtree(self.dir, ignore_errors=True)


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def reap_stale_runs() -> None:
    """Tear down what an earlier run left behind when it was killed before it could clean up."""
    for run_dir in BASE.glob("*-*-*"):
        owner = run_dir / "owner"
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            pid = 0
        if pid and Path(f"/proc/{pid}").exists():
            continue  # still running
        try:
            state = json.loads((run_dir / "state.json").read_text())
        except (OSError, ValueError):
            state = {}
        for pgid in state.get("pgids", []):
            cmdline = Path(f"/proc/{pgid}/cmdline")
            if cmdline.exists() and str(run_dir) in cmdline.read_bytes().decode(errors="ignore") or _ours(pgid):
                _kill_group(pgid, signal.SIGKILL)
        if state.get("pg_data") and Path(state["pg_data"]).exists():
            pg_stop(Path(state["pg_data"]), mode="immediate")
        log(f"removed a stale drill run: {run_dir}")
        shutil.rmtree(run_dir, ignore_errors=True)


def _ours(pgid: int) -> bool:
    try:
        cmd = Path(f"/proc/{pgid}/cmdline").read_bytes().decode(errors="ignore")
    except OSError:
        return False
    ports = tuple(str(p) for p in (REDIS_PORT, WEB_PORT, SMTP_PORT, WEB2_PORT, LB_PORT, S3_PORT))
    kinds = ("bench.drills", "redis-server", "gunicorn", "moto_server", "haproxy")
    return any(p in cmd for p in ports) and any(k in cmd for k in kinds)


# --- PostgreSQL (a private cluster) -------------------------------------------------------------


def pg_init(run: Run) -> Path:
    data = run.dir / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(
        _as_postgres([str(pg_bin() / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(
            f"\nport = {PG_PORT}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{run.dir}'\n"
            "fsync = off\nmax_connections = 100\nshared_buffers = 64MB\n"
        )
    run.pg_data = data
    run._record()
    pg_start(data)
    return data


def pg_start(data: Path) -> None:
    subprocess.run(
        _as_postgres(
            [str(pg_bin() / "pg_ctl"), "-D", str(data), "-l", str(data.parent / "postgres.log"), "-w", "start"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def pg_stop(data: Path, *, mode: str = "fast") -> None:
    subprocess.run(
        _as_postgres([str(pg_bin() / "pg_ctl"), "-D", str(data), "-m", mode, "-w", "stop"]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def psql(sql: str, *, db: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-d", db, "-tAc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


# --- Redis, the SMTP sink, gunicorn, Celery ---------------------------------------------------------


def port_free(port: int, what: str) -> None:
    """Refuse to start on a port something else already answers on: the drill would talk to that instead."""
    if port_open(port):
        raise RuntimeError(f"port {port} for the drill's {what} is taken by another process: set its DRILLS_*_PORT")


def redis_start(run: Run) -> None:
    port_free(REDIS_PORT, "Redis")
    run.spawn(
        "redis",
        [
            "redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(run.dir),
        ],
    )
    wait_for(lambda: redis_ping(), "private Redis", timeout=10)


def redis_ping() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def sink_start(run: Run, *, delay: float = 0.0) -> None:
    port_free(SMTP_PORT, "SMTP sink")
    run.spawn(
        "sink",
        [
            PYTHON,
            "-m",
            "bench.drills.sink",
            "--port",
            str(SMTP_PORT),
            "--log",
            str(run.dir / "sink.jsonl"),
            "--delay",
            str(delay),
        ],
    )
    wait_for(lambda: port_open(SMTP_PORT), "SMTP sink", timeout=15)


def port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def django_env(run: Run, db: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "OUTBOX_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="crossector.settings",
        DEBUG="false",
        SECRET_KEY="drills-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://127.0.0.1:{WEB_PORT}",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{PG_PORT}/{db}",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{REDIS_PORT}/0",
        CACHE_URL=f"rediscache://127.0.0.1:{REDIS_PORT}/1",
        EMAIL_URL=f"smtp://127.0.0.1:{SMTP_PORT}",
        EMAIL_TIMEOUT="5",
        STATIC_ROOT=os.environ.get("DRILLS_STATIC_ROOT", str(run.dir / "static")),
        PRIVATE_MEDIA_ROOT=str(run.dir / "media"),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def gunicorn_start(
    run: Run, env: dict, *, name: str = "gunicorn", port: int = WEB_PORT, workers: str = WEB_WORKERS
) -> float:
    """Start gunicorn (`name` in the run's process list) and return the seconds until it answered."""
    port_free(port, name)
    t0 = time.monotonic()
    run.spawn(
        name,
        [str(VENV_BIN / "gunicorn"), "crossector.wsgi:application", "--config", "gunicorn.conf.py"],
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": workers},
    )
    wait_for(lambda: http_status("/health/", port=port) in (200, 503), name, timeout=60, interval=0.05)
    return time.monotonic() - t0


def worker_start(run: Run, env: dict, name: str = "worker") -> None:
    run.spawn(
        name,
        [
            str(VENV_BIN / "celery"),
            "-A",
            "crossector",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={CELERY_CONCURRENCY}",
            "-n",
            f"{name}@drills",
            "--without-mingle",
            "--without-gossip",
        ],
        env=env,
    )
    wait_for(lambda: "ready." in log_text(run, name), f"Celery {name}", timeout=60)


def beat_start(run: Run, env: dict, name: str = "beat") -> None:
    run.spawn(
        name,
        [
            str(VENV_BIN / "celery"),
            "-A",
            "crossector",
            "beat",
            "--loglevel=INFO",
            f"--pidfile={run.dir / (name + '.pid')}",
            f"--schedule={run.dir / (name + '-schedule')}",
        ],
        env=env,
    )
    wait_for(lambda: "beat: Starting" in log_text(run, name), f"Celery {name}", timeout=60)


def log_text(run: Run, name: str) -> str:
    try:
        return (run.dir / f"{name}.log").read_text(errors="ignore")
    except OSError:
        return ""


def http_status(path: str, *, port: int = WEB_PORT) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def wait_for(check, what: str, *, timeout: float, interval: float = 0.2) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(interval)
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s")


# --- The S3-compatible store (moto's server) and the load balancer (HAProxy) --------------------------


def s3_start(run: Run) -> str:
    """moto's S3 server on S3_PORT (in memory: its buckets last as long as the process). Returns the endpoint."""
    moto = VENV_BIN / "moto_server"
    if not moto.exists():
        raise SystemExit(f"moto's S3 server is not installed ({moto}): pip install -r requirements-dev.txt")
    port_free(S3_PORT, "S3 server")
    run.spawn("s3", [str(moto), "-H", "127.0.0.1", "-p", str(S3_PORT)])
    endpoint = f"http://127.0.0.1:{S3_PORT}"
    wait_for(lambda: port_open(S3_PORT), "moto S3 server", timeout=30)
    return endpoint


def s3_client():
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{S3_PORT}",
        region_name=S3_REGION,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
    )


def s3_bucket(name: str, *, versioned: bool = False) -> None:
    """A private bucket, as docs/deployment.md ("Uploads") sets one up; versioned when asked."""
    client = s3_client()
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": S3_REGION})
    if versioned:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def s3_env(bucket: str) -> dict:
    """The portal's environment for uploads in `bucket` on the drill's S3 server."""
    return {
        "UPLOADS_S3_BUCKET": bucket,
        "UPLOADS_S3_ENDPOINT_URL": f"http://127.0.0.1:{S3_PORT}",
        "UPLOADS_S3_REGION": S3_REGION,
        "UPLOADS_S3_ACCESS_KEY_ID": S3_KEY,
        "UPLOADS_S3_SECRET_ACCESS_KEY": S3_SECRET,
    }


def haproxy_bin() -> str:
    """Debian's haproxy, installed when missing and we are root (as .ci/services installs chromium)."""
    found = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if Path(p).exists()), None)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing Debian's haproxy for the two-node drill ...")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        noninteractive = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "haproxy"], env=noninteractive, **quiet).returncode:
            subprocess.run(["apt-get", "update", "-qq"], **quiet)
            subprocess.run(["apt-get", "install", "-y", "-qq", "haproxy"], env=noninteractive, **quiet)
        found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if not found:
        raise SystemExit("HAProxy is needed for the two-node drill: run 'sudo apt-get install haproxy'")
    return found


HAPROXY_CONFIG = """global
    log stdout format raw local0
    maxconn 512
    stats socket {socket} mode 600 level operator

defaults
    mode http
    log global
    # One line per request: client, node, status, termination state, retries, method, path.
    log-format "%ci %Ts.%ms %s %ST %tsc %rc %Tt %HM %HP"
    option forwardfor
    retries 2
    option redispatch
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout queue 30s

frontend portal
    bind 127.0.0.1:{lb_port}
    default_backend nodes

backend nodes
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health/ ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    default-server inter 1s fall 2 rise 2 maxconn {maxconn}
    http-response set-header X-Served-By %[srv_name]
{servers}
"""


def haproxy_start(run: Run, nodes: dict[str, int], *, maxconn: int) -> Path:
    """HAProxy on LB_PORT in front of `nodes` (name → port): round robin, X-Forwarded-For appended, two
    retries with redispatch on connection failures, /health/ checked every second, at most `maxconn`
    requests at a time per node (its sync workers; the rest wait in HAProxy's queue, which a node that goes
    down hands to the others, rather than in the node's socket backlog). Returns its config."""
    binary = haproxy_bin()
    port_free(LB_PORT, "HAProxy")
    servers = "\n".join(f"    server {name} 127.0.0.1:{port} check" for name, port in nodes.items())
    config = run.dir / "haproxy.cfg"
    config.write_text(
        HAPROXY_CONFIG.format(lb_port=LB_PORT, servers=servers, maxconn=maxconn, socket=run.dir / "haproxy.sock")
    )
    subprocess.run([binary, "-c", "-q", "-f", str(config)], check=True)
    run.spawn("haproxy", [binary, "-db", "-f", str(config)])
    wait_for(lambda: http_status("/health/", port=LB_PORT) == 200, "HAProxy", timeout=30)
    return config


def haproxy_current(run: Run, server: str) -> int:
    """How many requests HAProxy has at `server` right now (`show stat`, column scur), from its stats socket."""
    import socket

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(str(run.dir / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    except OSError:
        return 0
    for line in data.decode(errors="ignore").splitlines():
        fields = line.split(",")
        if len(fields) > 4 and fields[1] == server:
            return int(fields[4] or 0)
    return 0
