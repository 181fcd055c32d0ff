"""Search every store the portal writes to for markers, found by searching, not by listing.

- the database: every text, varchar and JSON column of every table in the schema (information_schema, so
  third-party tables count: django_admin_log, django_session, allauth's, celery beat's), by regex in SQL;
- sessions: each row decoded (the stored text is signed and encoded, so the SQL search cannot read it);
- the cache: every key and value in the cache's Redis database, unpickled where it can be;
- the upload store: every file's path and bytes under the storage's location.

A hit names its store as `table.column`, `session`, `cache` or `uploads`, which is how the declarations in
crossector.core.privacy (HELD) name them.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection

from tests.core.pages import Markers

TEXT_TYPES = ("text", "character varying", "json", "jsonb")


@dataclass(frozen=True)
class Hit:
    store: str  # "table.column", "session", "cache" or "uploads"
    marker: str
    where: str  # a row id, a key, a path: for the failure message

    def __str__(self):
        return f"{self.marker} in {self.store} ({self.where})"


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND data_type = ANY(%s) ORDER BY table_name, column_name",
            [list(TEXT_TYPES)],
        )
        return cursor.fetchall()


def search_database(markers: Markers) -> list[Hit]:
    """A row with an idempotency key (an email in the outbox) is named by it too, `table.column@key`, so that
    one kind of email can be declared kept without declaring every email."""
    hits = []
    qn = connection.ops.quote_name
    columns = text_columns()
    keyed = {table for table, column in columns if column == "idempotency_key"}
    with connection.cursor() as cursor:
        for table, column in columns:
            label = "'@' || idempotency_key" if table in keyed else "''"
            cursor.execute(
                f"SELECT ctid::text, {label}, {qn(column)}::text FROM {qn(table)} WHERE {qn(column)}::text ~* %s",
                [Markers.PATTERN.pattern],
            )
            hits += [
                Hit(f"{table}.{column}{key}", m, row)
                for row, key, value in cursor.fetchall()
                for m in markers.find(value)
            ]
    return hits


def search_sessions(markers: Markers) -> list[Hit]:
    from django.contrib.sessions.models import Session

    return [
        Hit("session", m, s.session_key[:8])
        for s in Session.objects.all()
        for m in markers.find(json.dumps(s.get_decoded(), default=str))
    ]


def _readable(raw: bytes) -> str:
    try:
        return repr(pickle.loads(raw))  # noqa: S301 - our own cache, in a test
    except Exception:  # noqa: BLE001 - not a pickle (a counter, a raw string)
        return raw.decode("utf-8", "replace")


def search_cache(markers: Markers) -> list[Hit]:
    """Every key and value in the cache's Redis database (the locmem cache in tests without Redis)."""
    hits = []
    if hasattr(cache, "_cache") and hasattr(cache._cache, "get_client"):
        client = cache._cache.get_client(None, write=False)
        for key in client.scan_iter("*"):
            value = client.get(key) if client.type(key) == b"string" else b""
            text = key.decode("utf-8", "replace") + " " + _readable(value or b"")
            hits += [Hit("cache", m, key.decode("utf-8", "replace")) for m in markers.find(text)]
    else:
        for key, value in getattr(cache, "_cache", {}).items():
            hits += [Hit("cache", m, key) for m in markers.find(key + " " + _readable(value))]
    return hits


def search_uploads(markers: Markers) -> list[Hit]:
    root = Path(default_storage.location)
    hits = []
    for path in root.rglob("*") if root.exists() else ():
        if path.is_file():
            text = str(path.relative_to(root)) + " " + path.read_bytes().decode("latin-1")
            hits += [Hit("uploads", m, str(path.relative_to(root))) for m in markers.find(text)]
    return hits


def search_everywhere(markers: Markers) -> list[Hit]:
    return search_database(markers) + search_sessions(markers) + search_cache(markers) + search_uploads(markers)
