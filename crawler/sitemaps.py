"""Reading a site's ``/sitemap.xml``: its page URLs and their ``<lastmod>`` dates.

Pure functions (no network, no warehouse), as trafilatura keeps ``sitemaps.py``: the spider
offers the URLs to its frontier and, on a recrawl, sends no request for a page whose
normalised ``<lastmod>`` has not moved since its last fetch (docs/crawler.md).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from scrapy.utils.sitemap import Sitemap

from clusterradar.crawler.site import SiteScope, clean_link

_LASTMOD_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LASTMOD_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$", re.IGNORECASE
)


def sitemap_lastmod(value: str | None, now: dt.datetime) -> str | None:
    """A sitemap ``<lastmod>`` in one comparable form, or None when it is not to be trusted.

    W3C datetime with at least a day: ``2026-11-30`` stays a date; a time is converted to UTC
    and written ``2026-11-30T07:15:00Z`` (fractions dropped; no zone: UTC). Coarser values
    (``2026``, ``2026-11``), anything that does not parse, and dates after ``now`` (naive UTC)
    give None: a page with such a date is requested as usual.
    """
    text = (value or "").strip()
    if len(text) > 40:
        return None
    try:
        if _LASTMOD_DATE.match(text):
            day = dt.date.fromisoformat(text)
            return None if day > now.date() else day.isoformat()
        if _LASTMOD_TIME.match(text):
            moment = dt.datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
            moment = moment.replace(microsecond=0)
            return None if moment > now else moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:  # 2026-02-30, 25:00
        return None
    return None


@dataclass(slots=True)
class SitemapRead:
    """What a sitemap gave: in-scope page URLs with their normalised ``<lastmod>`` (None when
    absent or untrusted), and how many entries were dropped for the link cap or as offsite."""

    entries: list[tuple[str, str | None]] = field(default_factory=list)
    capped: int = 0
    offsite: int = 0


def read_sitemap(
    body: bytes, base_url: str, scope: SiteScope, limit: int | None, now: dt.datetime
) -> SitemapRead | None:
    """The entries of a ``<urlset>`` sitemap (None when the body is not one).

    Bounded against hostile sitemaps: at most ``limit`` entries are read (the rest counted
    in ``capped``); ``<loc>`` outside the site's scope is not kept; the XML is parsed by
    Scrapy's :class:`~scrapy.utils.sitemap.Sitemap` (lxml with ``resolve_entities=False``, no
    network, huge trees refused), so entity expansion cannot blow it up. A ``<sitemapindex>``
    is not followed. Raises on XML lxml cannot recover from.
    """
    if b"<urlset" not in body[:2000]:
        return None
    read = SitemapRead()
    for number, entry in enumerate(Sitemap(body)):
        if limit is not None and number >= limit:
            read.capped += 1
            continue
        url = clean_link(base_url, entry.get("loc", ""))
        if url is None:
            continue
        if not scope.contains(url):
            read.offsite += 1
            continue
        read.entries.append((url, sitemap_lastmod(entry.get("lastmod"), now)))
    return read
