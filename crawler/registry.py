"""Pure parse functions for the Clusterplattform registry: ``HtmlResponse`` in, records out.

The Scrapy spider (:mod:`clusterradar.crawler.spiders`) only routes responses to these functions
and follows the URLs they return, so every rule here is unit-tested on fixture pages without a
reactor. Selectors live in :mod:`clusterradar.crawler.selectors`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scrapy.http import TextResponse
from scrapy.selector import Selector

from clusterradar.crawler import selectors as sel
from clusterradar.crawler.site import stored_url
from clusterradar.labels.schema import BUNDESLAENDER
from clusterradar.urls import slugify

BUNDESLAND_SLUGS = BUNDESLAENDER  # the registry's slugs: one list, kept in labels


@dataclass(slots=True)
class RegistryEntry:
    """One initiative as the registry describes it (the record the spider yields)."""

    name: str
    profile_url: str
    bundeslaender: list[str] = field(default_factory=list)
    technologiefelder: list[str] = field(default_factory=list)
    foerdermassnahmen: list[str] = field(default_factory=list)
    website: str | None = None

    @property
    def go_cluster(self) -> bool:
        return any(sel.GO_CLUSTER.search(m) for m in self.foerdermassnahmen)


@dataclass(slots=True)
class HitListPage:
    """What one hit list page yields: profile links, further pages, the reported total."""

    profiles: list[tuple[str, str]]  # (profile_url, name from the list)
    next_pages: list[str]
    reported_total: int | None
    failures: list[str]  # one line per entry that could not be read


@dataclass(slots=True)
class ParseFailure:
    """A list entry or profile the selectors could not read (reported, never silently dropped)."""

    url: str
    reason: str


def bundesland_slug(name: str) -> str | None:
    """'Baden-Württemberg' or 'baden-wuerttemberg' -> 'baden-wuerttemberg'; None if unknown."""
    slug = slugify(name)
    return slug if slug in BUNDESLAND_SLUGS else None


def search_form_urls(response: TextResponse) -> list[str]:
    """Links from a start page to the cluster search form (absolute, de-duplicated)."""
    found: list[str] = []
    for href in response.xpath(sel.SEARCH_FORM_LINKS).getall():
        url = response.urljoin(href.strip())
        if url not in found:
            found.append(url)
    return found


def is_hit_list(response: TextResponse) -> bool:
    return bool(response.xpath(sel.HIT_ENTRIES)) or bool(sel.SEARCH_FORM_URL.search(response.url))


def parse_hit_list(response: TextResponse) -> HitListPage:
    """Entries, paging links and the "N Treffer" total of one hit list page."""
    profiles: list[tuple[str, str]] = []
    failures: list[str] = []
    for index, entry in enumerate(response.xpath(sel.HIT_ENTRIES), start=1):
        link = entry.xpath(sel.HIT_ENTRY_LINK)
        href = (link.xpath("@href").get() or "").strip()
        name = " ".join(" ".join(link.xpath(".//text()").getall()).split())
        if not href or not name:
            failures.append(f"{response.url}: list entry {index} has no heading link")
            continue
        profiles.append((response.urljoin(href), name))
    next_pages = []
    for href in response.xpath(sel.PAGING_LINKS).getall():
        url = response.urljoin(href.strip())
        if url not in next_pages:
            next_pages.append(url)
    return HitListPage(profiles, next_pages, reported_total(response), failures)


def reported_total(response: TextResponse) -> int | None:
    """The hit count the portal itself reports ("434 Treffer"), or None if absent."""
    text = " ".join(" ".join(response.xpath("//body//text()").getall()).split())
    match = sel.HIT_COUNT.search(text)
    return int(match.group(1).replace(".", "")) if match else None


def _values(dd: Selector) -> list[str]:
    items = [" ".join(" ".join(li.xpath(".//text()").getall()).split()) for li in dd.xpath(".//li")]
    if not items:
        text = " ".join(" ".join(dd.xpath(".//text()").getall()).split())
        items = [part.strip() for part in re.split(r"[,;]", text)]
    return [item for item in items if item]


def parse_profile(response: TextResponse) -> RegistryEntry | ParseFailure:
    """One initiative from its profile page, or a ParseFailure saying what was missing."""
    url = stored_url(response.url)  # as fetched (scheme kept); matching normalises it
    name = response.xpath(sel.PROFILE_NAME).get("").strip()
    facts = response.xpath(sel.PROFILE_FACTS)
    if not name:
        return ParseFailure(url, "profile has no name (<h1>)")
    if not facts:
        return ParseFailure(url, "profile has no facts list (dl.cluster-facts)")
    entry = RegistryEntry(name=name, profile_url=url)
    for dt in facts[0].xpath("./dt"):
        label = " ".join(" ".join(dt.xpath(".//text()").getall()).split()).lower()
        key = next((k for p, k in sel.FACT_LABELS.items() if label.startswith(p)), None)
        dd = dt.xpath("following-sibling::dd[1]")
        if key is None or not dd:
            continue
        if key == "website":
            href = (dd.xpath(".//a/@href").get() or (_values(dd[0]) or [""])[0]).strip()
            if href and not re.match(r"^([a-z][a-z0-9+.-]*:|/)", href, re.IGNORECASE):
                href = "https://" + href  # a bare 'www.example.de' as text
            # Kept as published (scheme included): the site crawler starts from it, and
            # matching is scheme-insensitive anyway.
            entry.website = response.urljoin(href.strip()) if href.strip() else None
        elif key == "bundeslaender":
            for value in _values(dd[0]):
                slug = bundesland_slug(value)
                if slug and slug not in entry.bundeslaender:
                    entry.bundeslaender.append(slug)
        else:
            getattr(entry, key).extend(_values(dd[0]))
    return entry
