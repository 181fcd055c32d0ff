"""A Redis cache that degrades to "empty" when Redis cannot be reached.

Django's RedisCache raises on connection errors, so a Redis outage would turn every page that
touches the cache (allauth's rate limits on sign-in, sign-up and password reset, the signed-out
application stash) into a 500. Nothing the portal keeps in the cache must survive: while Redis is
away, reads miss and writes are dropped (and logged), so those pages keep working; rate limits do
not count during the outage. Only connection and timeout errors are swallowed: anything else is a
bug and still raises.
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def _fail_soft(fallback):
    """Wrap a cache method: on a connection error, log and return `fallback(*args, **kwargs)`."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                logger.warning("Cache unreachable, %s() degraded: %s", method.__name__, exc)
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _returns(value):
    return lambda *args, **kwargs: value


def _default(key, default=None, *args, **kwargs):
    return default


def _missing(key, *args, **kwargs):
    raise ValueError(f"Key {key!r} not found (cache unreachable)")


class FailSoftRedisCache(RedisCache):
    # add() answers True ("stored") so allauth's rate-limit lock (a cache.add loop) does not spin for a
    # second and then refuse the sign-in; the price is no rate limiting while Redis is down.
    add = _fail_soft(_returns(True))(RedisCache.add)
    get = _fail_soft(_default)(RedisCache.get)
    set = _fail_soft(_returns(None))(RedisCache.set)
    touch = _fail_soft(_returns(False))(RedisCache.touch)
    delete = _fail_soft(_returns(False))(RedisCache.delete)
    get_many = _fail_soft(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _fail_soft(_returns(False))(RedisCache.has_key)
    incr = _fail_soft(_missing)(RedisCache.incr)  # as for a missing key, the documented error
    set_many = _fail_soft(lambda *a, **k: [])(RedisCache.set_many)
    delete_many = _fail_soft(_returns(None))(RedisCache.delete_many)
    clear = _fail_soft(_returns(False))(RedisCache.clear)
