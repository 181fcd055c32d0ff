"""Keep what an applicant typed when their session expired mid-form.

A POST from a signed-out browser is stashed server-side (in the cache, for a day) under a random
key; the login redirect carries a signed token naming it, and the section page restores the text
once the same person is signed in again. Files cannot travel this way; everything else does.
"""

import secrets

from django.core import signing
from django.core.cache import cache
from django.http import QueryDict

SALT = "awards.stash"
LIFETIME = 24 * 60 * 60


def stash_post(request) -> str:
    key = secrets.token_urlsafe(24)
    data = [(k, v) for k, values in request.POST.lists() if k != "csrfmiddlewaretoken" for v in values]
    cache.set(f"awards-stash-{key}", {"path": request.path, "data": data}, LIFETIME)
    return signing.dumps(key, salt=SALT)


def stash_pop(request) -> QueryDict | None:
    token = request.GET.get("restore")
    if not token:
        return None
    try:
        key = signing.loads(token, salt=SALT, max_age=LIFETIME)
    except signing.BadSignature:
        return None
    item = cache.get(f"awards-stash-{key}")
    if not item or item["path"] != request.path:
        return None
    cache.delete(f"awards-stash-{key}")
    data = QueryDict(mutable=True)
    for k, v in item["data"]:
        data.appendlist(k, v)
    return data
