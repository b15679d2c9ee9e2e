"""Downloader middleware: refuse hosts that resolve to private addresses (SSRF safety).

Registry URLs are untrusted input: a profile could point the crawler at a router, a metadata
service or the machine itself. The check runs on every request that reaches the downloader,
redirect targets included (the site spider follows redirects as new requests), unless the crawl
was started with ``allow_private`` (tests and the demo serve on 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.httpobj import urlparse_cached


class PrivateAddressRefused(IgnoreRequest):
    """The host resolves to a private, loopback, link-local, multicast or reserved address."""


class HostNotResolved(IgnoreRequest):
    """The host name does not resolve (recorded as dns_error, not retried)."""


@lru_cache(maxsize=4096)
def resolve(host: str) -> tuple[str, ...]:
    """All addresses of a host (a literal IP resolves to itself); raises OSError if none."""
    try:
        return (str(ipaddress.ip_address(host.strip("[]"))),)
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return tuple(sorted({info[4][0] for info in infos}))


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


class PrivateAddressMiddleware:
    """Raises :class:`PrivateAddressRefused` for non-public hosts unless allowed."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getbool("CLUSTERRADAR_ALLOW_PRIVATE"))

    def process_request(self, request: Request, spider=None):
        if self.allow_private:
            return None
        host = urlparse_cached(request).hostname or ""
        try:
            addresses = resolve(host)
        except (OSError, UnicodeError) as exc:
            raise HostNotResolved(f"cannot resolve {host}: {exc}") from exc
        private = [a for a in addresses if not is_public_address(a)]
        if private:
            raise PrivateAddressRefused(f"{host} resolves to non-public address {private[0]}")
        return None
