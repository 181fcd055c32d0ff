"""The load: a separate process that sends the planned requests to gunicorn and records every answer.

The plan (JSON) lists jobs, each with the second it is due, a method, a path, the session cookie of
the signed-in person sending it and form data. Jobs marked `retry` are sent again 2 s later when the
answer says the service is unavailable (503, or no connection), as a person would, up to 15 times.
Every attempt is recorded: kind, status, latency, and whether the body showed a traceback.

    python -m bench.drills.load plan.json results.json
"""

import heapq
import http.client
import json
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
        headers = {"Cookie": job.get("cookie", ""), "Host": target.netloc}
        body = None
        if job["method"] == "POST":
            body = urlencode(job.get("data", {}))
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = job.get("csrf", "")
            headers["Referer"] = plan["base"] + job["path"]
        t0 = time.monotonic()
        try:
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            conn.request(job["method"], job["path"], body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            status = response.status
            conn.close()
        except OSError as exc:
            return {"status": 0, "error": type(exc).__name__, "latency": time.monotonic() - t0}
        text = content.decode(errors="ignore")
        return {
            "status": status,
            "latency": time.monotonic() - t0,
            "traceback": "Traceback" in text or "OperationalError" in text,
            "location": response.getheader("Location", ""),
        }

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


if __name__ == "__main__":
    main()
