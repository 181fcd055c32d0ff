"""A local SMTP server that accepts every message and counts them by their outbox id.

Run as a separate process: ``python -m bench.smtpsink PORT STATS_FILE``. Every half second it writes
``{"received": n, "distinct": d, "duplicates": [...], "first": t, "last": t}`` to STATS_FILE, keyed by
the ``X-Outbox-Id`` header the portal puts on every email (falling back to Message-ID).
"""

import json
import os
import sys
import time
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller


class CountingHandler:
    def __init__(self):
        self.seen: dict[str, int] = {}
        self.received = 0
        self.first = None
        self.last = None

    async def handle_DATA(self, server, session, envelope):
        headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content)
        key = headers.get("X-Outbox-Id") or headers.get("Message-ID") or f"anon-{self.received}"
        self.seen[key] = self.seen.get(key, 0) + 1
        self.received += 1
        now = time.time()
        self.first = self.first or now
        self.last = now
        return "250 OK"

    def stats(self) -> dict:
        return {
            "received": self.received,
            "distinct": len(self.seen),
            "duplicates": [k for k, n in self.seen.items() if n > 1][:20],
            "first": self.first,
            "last": self.last,
        }


def main(port: int, stats_file: str) -> None:
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            tmp = stats_file + ".tmp"
            with open(tmp, "w") as fh:
                json.dump(handler.stats(), fh)
            os.replace(tmp, stats_file)
            time.sleep(0.5)
    finally:
        controller.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
