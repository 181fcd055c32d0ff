"""A local SMTP server that accepts everything and records each message it receives.

One JSON line per message (outbox id from the X-Outbox-Id header, subject, recipients, time), written
and flushed as soon as the whole message has arrived, before the 250 reply: a message whose sender
dies waiting for that reply still counts as delivered, as with a real mail server. So a message sent
again by the outbox shows up twice here: that is how the drills count duplicates.

    python -m bench.drills.sink --port 2526 --log sink.jsonl [--delay 0.02]
"""

import argparse
import asyncio
import json
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, path: str, delay: float):
        self.file = open(path, "a", buffering=1)  # noqa: SIM115 - open for the life of the server
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content)
        line = {
            "id": message.get("X-Outbox-Id", ""),
            "subject": str(message.get("Subject", "")),
            "to": envelope.rcpt_tos,
            "t": time.time(),
        }
        self.file.write(json.dumps(line) + "\n")
        self.file.flush()
        if self.delay:
            await asyncio.sleep(self.delay)  # a slow mail server: keeps messages in flight longer
        return "250 Message accepted"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    controller = Controller(Recorder(args.log, args.delay), hostname="127.0.0.1", port=args.port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
