"""Keep what an applicant typed when their session expired mid-form, for that browser and no one else.

A POST from a signed-out browser is stashed server-side (in the cache, for a day) under a random key;
the login redirect carries a signed token naming it. The stash belongs to the browser session that made
it: at stash time the session gets a random owner mark (signing in keeps the session's data, Django only
changes its key), and the stash records that mark and any account id the session still names. The
section page restores it only for that session and account, once, and only onto the fields it carries
(`stash_merge`): a field the stash did not carry keeps the draft's value, it is never blanked.

Bounds (docs/security.md, "Bounds"): at most AWARDS_STASH_MAX_BYTES of text in one stash; at most
AWARDS_STASH_PER_SESSION stashes kept per session (a newer one drops the oldest); and allauth's
"awards_stash" rate (ACCOUNT_RATE_LIMITS) per IP address, so a script that throws its cookies away
cannot fill the cache either. Files cannot travel this way; everything else does.
"""

import re
import secrets

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import signing
from django.core.cache import cache
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

SALT = "awards.stash"
LIFETIME = 24 * 60 * 60
OWNER_SESSION_KEY = "awards_stash_owner"
KEYS_SESSION_KEY = "awards_stash_keys"
_MANAGEMENT = re.compile(r"^(?P<prefix>[\w]+)-(TOTAL|INITIAL)_FORMS$")


class StashRefused(Exception):
    """The post was not kept; `message` tells the person why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _cache_key(key: str) -> str:
    return f"awards-stash-{key}"


def _size(data: list[tuple[str, str]]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in data)


def stash_post(request) -> str:
    """Keep a signed-out POST for the browser session that sent it; the signed token naming it.

    Raises StashRefused (nothing kept) when the post is larger than AWARDS_STASH_MAX_BYTES or this
    address has stashed too often (the "awards_stash" rate).
    """
    from allauth.core import ratelimit

    data = [(k, v) for k, values in request.POST.lists() if k != "csrfmiddlewaretoken" for v in values]
    limit = settings.AWARDS_STASH_MAX_BYTES
    if _size(data) > limit:
        raise StashRefused(
            f"Your session had expired, and what you sent is larger than the {limit // 1024} KB we can keep "
            "while you sign in, so it was not kept. Sign in, then enter it again. Your saved draft has not changed."
        )
    if not ratelimit.consume(request, action="awards_stash"):
        raise StashRefused(
            "Your session had expired, and this browser has sent too many forms while signed out for us to "
            "keep another. Sign in, then enter it again. Your saved draft has not changed."
        )
    session = request.session
    owner = session.get(OWNER_SESSION_KEY) or secrets.token_urlsafe(24)
    session[OWNER_SESSION_KEY] = owner
    keys = list(session.get(KEYS_SESSION_KEY, []))
    while len(keys) >= settings.AWARDS_STASH_PER_SESSION:
        cache.delete(_cache_key(keys.pop(0)))
    key = secrets.token_urlsafe(24)
    item = {"path": request.path, "data": data, "owner": owner, "user_id": session.get(SESSION_KEY)}
    cache.set(_cache_key(key), item, LIFETIME)
    session[KEYS_SESSION_KEY] = [*keys, key]
    return signing.dumps(key, salt=SALT)


def stash_pop(request) -> QueryDict | None:
    """The stashed post named by ?restore=, once, for the session (and account) that made it; else None."""
    token = request.GET.get("restore")
    if not token:
        return None
    try:
        key = signing.loads(token, salt=SALT, max_age=LIFETIME)
    except signing.BadSignature:
        return None
    item = cache.get(_cache_key(key))
    if not item or item["path"] != request.path:
        return None
    owner = request.session.get(OWNER_SESSION_KEY)
    if not owner or not secrets.compare_digest(owner, item.get("owner") or ""):
        return None  # another browser: the link alone is not enough
    if item.get("user_id") is not None and str(item["user_id"]) != str(request.user.pk):
        return None
    cache.delete(_cache_key(key))
    request.session[KEYS_SESSION_KEY] = [k for k in request.session.get(KEYS_SESSION_KEY, []) if k != key]
    data = QueryDict(mutable=True)
    for k, v in item["data"]:
        data.appendlist(k, v)
    return data


def stash_merge(*, current: MultiValueDict, stashed: QueryDict) -> QueryDict:
    """The draft's current values with the stashed ones laid over them, field by field.

    Only names the page already has (`current`) or rows of its formsets are taken from the stash, so a
    stash can neither blank a field it did not carry nor add fields the page does not know. A formset
    shows as many rows as the larger of the two.
    """
    merged = QueryDict(mutable=True)
    for name, values in current.lists():
        merged.setlist(name, values)
    prefixes = {m["prefix"] for name in current if (m := _MANAGEMENT.match(name))}
    row = re.compile(rf"^({'|'.join(map(re.escape, prefixes))})-(\d+)-\w+$") if prefixes else None
    for name, values in stashed.lists():
        if m := _MANAGEMENT.match(name):
            if name in current and name.endswith("TOTAL_FORMS"):
                rows = max(_int(current.get(name)), _int(values[-1]))
                merged[name] = str(min(rows, _max_rows(current, m["prefix"])))
            continue
        if name in current or (row and (m := row.match(name)) and int(m[2]) < _max_rows(current, m[1])):
            merged.setlist(name, values)
    return merged


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _max_rows(current: MultiValueDict, prefix: str) -> int:
    return _int(current.get(f"{prefix}-MAX_NUM_FORMS"))
