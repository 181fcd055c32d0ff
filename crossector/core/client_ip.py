"""The address a request came from, for every per-address limit (docs/security.md, "Client address and
trusted proxies").

Behind a load balancer every request's `REMOTE_ADDR` is the balancer's, so limits keyed on it would put
every visitor in one bucket. The balancer appends the address it received the request from to
`X-Forwarded-For`; everything to the left of that came from the client and can be made up. So with
`TRUSTED_PROXY_COUNT = N` proxies in front of the portal, each appending one entry, the client is the N-th
entry from the right: the right-most one no trusted proxy could have been handed by the client. With 0 (the
default: the portal answers the internet directly) the header is ignored entirely.
"""

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def client_ip(request) -> str:
    """The client's address: `REMOTE_ADDR`, or the entry `TRUSTED_PROXY_COUNT` from the right of
    `X-Forwarded-For` when that many proxies are trusted. A header with fewer entries than trusted proxies, or
    an entry that is not an IP address, means the request did not come through them: `REMOTE_ADDR` is used."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < trusted:
        logger.warning("X-Forwarded-For has %d entries, %d proxies are trusted: using REMOTE_ADDR", len(hops), trusted)
        return remote
    address = _address(hops[-trusted])
    if address is None:
        logger.warning("X-Forwarded-For entry %r is not an IP address: using REMOTE_ADDR", hops[-trusted][:60])
        return remote
    return address


def _address(hop: str) -> str | None:
    """The IP address in one X-Forwarded-For entry (some proxies add a port: `1.2.3.4:5678`, `[2001:db8::1]:443`)."""
    if hop.startswith("["):
        hop = hop[1:].split("]", 1)[0]
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None
