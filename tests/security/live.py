"""Send one POST several times to the live server, all at once or one after another, as a browser would.

A double-click, a resubmitted form and two tabs all send the same request again with the same cookies. Each
request here has its own HTTP connection (so its own server thread and database connection); the ones sent
"at once" connect first and are released together by a barrier, so they reach the view together.
"""

import http.client
import http.cookies
import secrets
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import Client

from tests.conftest import login_with_mfa

REPEATS = 5


@dataclass(frozen=True)
class Answer:
    status: int
    location: str  # the path a redirect points to; "" for any other answer
    body: str
    messages: tuple[tuple[str, str], ...] = ()  # the flash messages it set, as (level, text)


def _flash_messages(response: http.client.HTTPResponse) -> tuple[tuple[str, str], ...]:
    cookies = http.cookies.SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        cookies.load(header)
    if "messages" not in cookies or not cookies["messages"].value:
        return ()
    decoded = CookieStorage(HttpRequest())._decode(cookies["messages"].value) or []
    return tuple((message.level_tag, str(message.message)) for message in decoded)


class Browser:
    """One browser's cookies: signed in as `user` (with two factors when `mfa`), or anonymous."""

    def __init__(self, user=None, *, mfa: bool = False):
        self.csrf = secrets.token_hex(16)  # 32 characters: Django accepts the unmasked secret as the form token
        cookies = [f"csrftoken={self.csrf}"]
        if user is not None:
            client = Client()
            if mfa:
                login_with_mfa(client, user)
            else:
                client.force_login(user)
            cookies.append(f"sessionid={client.cookies['sessionid'].value}")
        self.cookie = "; ".join(cookies)


def _encode(data: dict, files: dict | None, csrf: str) -> tuple[bytes, str]:
    fields = {"csrfmiddlewaretoken": csrf, **data}
    if not files:
        return urlencode(fields, doseq=True).encode(), "application/x-www-form-urlencoded"
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        for one in value if isinstance(value, list | tuple) else [value]:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{one}\r\n'.encode())
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _send(conn: http.client.HTTPConnection, path: str, browser: Browser, body: bytes, content_type: str) -> Answer:
    conn.request("POST", path, body=body, headers={"Cookie": browser.cookie, "Content-Type": content_type})
    response = conn.getresponse()
    text = response.read().decode("utf-8", "replace")
    location = response.getheader("Location") or ""
    conn.close()
    return Answer(response.status, urlsplit(location).path if location else "", text, _flash_messages(response))


def _connection(url: str) -> http.client.HTTPConnection:
    target = urlsplit(url)
    return http.client.HTTPConnection(target.hostname, target.port, timeout=60)


def post_at_once(url: str, path: str, browser: Browser, data: dict | None = None, *, files=None, times=REPEATS):
    """POST the same form `times` times at the same moment; the answers in the order they arrived."""
    body, content_type = _encode(data or {}, files, browser.csrf)
    barrier = threading.Barrier(times)
    connect_lock = threading.Lock()
    answers: list[Answer] = []

    def post():
        conn = _connection(url)
        with connect_lock:  # the test server's listen backlog is small: connect one by one, then send together
            conn.connect()
        barrier.wait(timeout=30)
        answers.append(_send(conn, path, browser, body, content_type))

    threads = [threading.Thread(target=post) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def post_in_turn(url: str, path: str, browser: Browser, data: dict | None = None, *, files=None, times=REPEATS):
    """POST the same form `times` times, each after the previous answer came back (a resubmitted form)."""
    body, content_type = _encode(data or {}, files, browser.csrf)
    return [_send(_connection(url), path, browser, body, content_type) for _ in range(times)]
