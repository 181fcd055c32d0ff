"""The load: a separate process that sends the planned requests to gunicorn and records every answer.

The plan (JSON) lists jobs, each with the second it is due, a method, a path, the session cookie of
the signed-in person sending it and form data. Jobs marked `retry` are sent again 2 s later when the
answer says the service is unavailable (503, or no connection), as a person would, up to 15 times.
Every attempt is recorded: kind, status, latency, and whether the body showed a traceback.

Optional per job (drills 6 and 7): `port` sends it to that port instead of the plan's (one web node
directly rather than the load balancer); `source` binds the connection to that loopback address, so the
load balancer sees a different client (127.0.0.0/8 is all loopback); `headers` adds headers; `files` maps a
form field to a file sent as multipart/form-data; `expect` lists texts whose presence in the body is
recorded; `capture` records the session cookie the answer sets. Each result says which node served it
(HAProxy's `X-Served-By`) and when it was sent (`sent_at`, wall-clock seconds).

    python -m bench.drills.load plan.json results.json
"""

import heapq
import http.client
import json
import mimetypes
import secrets
import sys
import threading
import time
from urllib.parse import urlencode, urlsplit

RETRY_AFTER = 2.0
MAX_ATTEMPTS = 15


def main() -> None:
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    target = urlsplit(plan["base"])
    heap = [(job["at"], i, 1, job) for i, job in enumerate(plan["jobs"])]
    heapq.heapify(heap)
    results: list[dict] = []
    lock = threading.Condition()
    pending = [len(heap)]
    start = time.monotonic()
    seq = [len(heap)]

    def send(job: dict) -> dict:
        port = job.get("port", target.port)
        headers = {"Cookie": job.get("cookie", ""), "Host": f"{target.hostname}:{port}", **job.get("headers", {})}
        body = None
        if job["method"] == "POST":
            if job.get("files"):
                body, headers["Content-Type"] = multipart(job.get("data", {}), job["files"])
            else:
                body = urlencode(job.get("data", {}))
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = job.get("csrf", "")
            headers["Referer"] = plan["base"] + job["path"]
        source = (job["source"], 0) if job.get("source") else None
        sent_at = time.time()
        t0 = time.monotonic()
        try:
            conn = http.client.HTTPConnection(target.hostname, port, timeout=60, source_address=source)
            conn.request(job["method"], job["path"], body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            status = response.status
            conn.close()
        except OSError as exc:
            return {"status": 0, "error": type(exc).__name__, "latency": time.monotonic() - t0, "sent_at": sent_at}
        text = content.decode(errors="ignore")
        outcome = {
            "status": status,
            "latency": time.monotonic() - t0,
            "sent_at": sent_at,
            "traceback": "Traceback" in text or "OperationalError" in text,
            "location": response.getheader("Location", ""),
            "served_by": response.getheader("X-Served-By", ""),
            "found": [expected for expected in job.get("expect", []) if expected in text],
        }
        if job.get("capture"):
            cookies = response.msg.get_all("Set-Cookie") or []
            outcome["session"] = next((c.split(";")[0] for c in cookies if c.startswith("sessionid=")), "")
        return outcome

    def worker() -> None:
        while True:
            with lock:
                while True:
                    if pending[0] == 0:
                        return
                    if heap and heap[0][0] <= time.monotonic() - start:
                        _, _, attempt, job = heapq.heappop(heap)
                        break
                    timeout = (heap[0][0] - (time.monotonic() - start)) if heap else 0.5
                    lock.wait(timeout=max(min(timeout, 0.5), 0.001))
            outcome = send(job)
            outcome.update(kind=job["kind"], key=job.get("key", ""), attempt=attempt, t=time.monotonic() - start)
            retry = job.get("retry") and outcome["status"] in (0, 502, 503) and attempt < MAX_ATTEMPTS
            with lock:
                results.append(outcome)
                if retry:
                    seq[0] += 1
                    heapq.heappush(heap, (time.monotonic() - start + RETRY_AFTER, seq[0], attempt + 1, job))
                else:
                    pending[0] -= 1
                lock.notify_all()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(plan.get("threads", 8))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(sys.argv[2], "w") as f:
        json.dump(results, f)


def multipart(data: dict, files: dict) -> tuple[bytes, str]:
    """A multipart/form-data body (fields, then each file read from its path) and its Content-Type."""
    boundary = "drill" + secrets.token_hex(12)
    parts = []
    for name, value in data.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, path in files.items():
        filename = path.rsplit("/", 1)[-1]
        kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        with open(path, "rb") as f:
            content = f.read()
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {kind}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


if __name__ == "__main__":
    main()
