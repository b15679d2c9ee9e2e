"""Refuse hosts that resolve to non-public addresses (SSRF safety), where the address is known.

Registry URLs are untrusted input: a profile could point the crawler at a router, a metadata
service or the machine itself. Two places enforce the rule, unless the crawl was started with
``allow_private`` (tests and the demo serve on 127.0.0.1):

* :class:`PrivateAddressMiddleware` (downloader middleware, before robots.txt) refuses hosts
  whose private nature is known *without DNS*: IP literals in any numeric form the C library
  accepts (``127.0.0.1``, ``[::1]``, ``2130706433``, ``127.1``, ``0x7f000001``, ``0.0.0.0``) and
  ``localhost`` / ``*.localhost`` (RFC 6761). It never blocks Scrapy's main thread on a lookup.
* :class:`PublicAddressResolver` (Scrapy's ``TWISTED_DNS_RESOLVER``) checks every *name* at the
  moment Twisted resolves it for the connection, in the reactor's thread pool. The address it
  checks is the address the socket connects to, so a name that answers "public" to a first
  lookup and "127.0.0.1" to a second (DNS rebinding) cannot slip through.

The middleware raises :class:`PrivateAddressRefused`; the resolver raises
:class:`PrivateAddressResolved` and remembers the host (:func:`refusal_of`), because Twisted
reports any resolver failure as a plain DNS error. The spider's errback maps both to the
outcome ``refused_private``. Redirect targets are covered too, because the site spider issues every
redirect as a new request.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError


class PrivateAddressRefused(IgnoreRequest):
    """The host resolves to a private, loopback, link-local, multicast or reserved address."""


class HostNotResolved(IgnoreRequest):
    """The host name does not resolve (recorded as dns_error, not retried)."""


class SiteOutOfTime(IgnoreRequest):
    """The request's site has spent its wall-clock budget (``crawl.site_time_budget``)."""


class PrivateAddressResolved(DNSLookupError):
    """Raised by the resolver. Twisted's endpoint turns every resolver failure into a plain
    ``DNSLookupError("no results ...")``, so the refusal is also remembered per host name
    (:func:`refusal_of`) for the spider's errback to map to ``refused_private``."""


_REFUSED_NAMES: dict[str, str] = {}  # host name -> why (one crawl process, one crawl)


def refusal_of(host: str) -> str | None:
    """Why the resolver refused this host name in this process, if it did."""
    return _REFUSED_NAMES.get(host.strip().lower().rstrip("."))


def literal_address(host: str) -> str | None:
    """The address a host names without any DNS lookup, or None for a real name.

    Covers IPv6 (``[::1]``) and every IPv4 spelling ``inet_aton`` accepts (``127.1``,
    ``2130706433``, ``0x7f000001``, ``0177.0.0.1``): the C resolver would connect to those.
    """
    host = host.strip().strip("[]")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def refusal_without_dns(host: str) -> str | None:
    """Why a host is refused before any lookup (a private literal or localhost), else None."""
    name = host.strip().lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return f"{host} is a loopback name"
    address = literal_address(name)
    if address is not None and not is_public_address(address):
        return f"{host} is the non-public address {address}"
    return None


class PrivateAddressMiddleware:
    """Raises :class:`PrivateAddressRefused` for literal non-public hosts unless allowed."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getbool("CLUSTERRADAR_ALLOW_PRIVATE"))

    def process_request(self, request: Request, spider=None):
        if self.allow_private:
            return None
        reason = refusal_without_dns(urlparse_cached(request).hostname or "")
        if reason:
            raise PrivateAddressRefused(reason)
        return None


class PublicAddressResolver(CachingThreadedResolver):
    """Scrapy's caching threaded resolver that refuses non-public results unless allowed.

    Twisted asks this resolver for the address of every host name it connects to (IP literals
    skip it: the middleware handles those), so the check and the connection use one address.
    """

    def __init__(self, reactor: Any, cache_size: int, timeout: float, allow_private: bool = False):
        super().__init__(reactor, cache_size, timeout)
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("CLUSTERRADAR_ALLOW_PRIVATE")
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()):
        deferred = super().getHostByName(name, timeout)
        if not self.allow_private:
            deferred.addCallback(self._refuse_private, name)
        return deferred

    @staticmethod
    def _refuse_private(address: str, name: str) -> str:
        if not is_public_address(address):
            reason = f"{name} resolves to non-public address {address}"
            _REFUSED_NAMES[name.strip().lower().rstrip(".")] = reason
            raise PrivateAddressResolved(reason)
        return address


class SiteTimeBudgetMiddleware:
    """Holds every download to its site's wall-clock budget (downloader middleware).

    Asks the spider how long a request may take (``spider.download_allowance(request)``: None
    for no site limit, else the site's seconds left, which starts the site's clock at its first
    download). Refuses the request (:class:`SiteOutOfTime`) once nothing is left, and otherwise
    lowers its ``download_timeout`` to what is left, so that no download (a slow-loris page
    trickling bytes, a silent server, a slow robots.txt) outlives its site's budget. Placed
    before robots.txt (100): the robots.txt wait counts against the budget too.
    """

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.default_timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request, spider=None):
        allowance = getattr(self.crawler.spider, "download_allowance", None)
        seconds = allowance(request) if allowance is not None else None
        if seconds is None:
            return None
        if seconds <= 0:
            raise SiteOutOfTime("the site's time budget is spent")
        timeout = request.meta.get("download_timeout") or self.default_timeout
        request.meta["download_timeout"] = min(float(timeout), seconds)
        return None
