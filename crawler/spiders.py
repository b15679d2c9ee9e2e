"""The two Scrapy spiders: thin shells that route responses to the pure functions.

``SiteSpider`` crawls many initiatives' websites in one process. Each request carries its seed
(``cluster_id``); each seed keeps its own frontier ordered by :func:`site.link_priority`, its own
seen-set and page budget, and at most ``concurrent_per_domain`` requests in flight, so the
budget goes to the describing pages first and one site can never wander into another. Redirects
are handled here (not by Scrapy) so that offsite targets are recorded instead of followed and
loops end. When a seed has nothing in flight and nothing left to fetch, the spider yields a
:class:`SiteResult` and the item pipeline writes the whole site in one transaction.

Hostile sites are bounded per seed (docs/guarantees.md): at most ``max_links_per_page`` links
are read from a page or sitemap, at most ``max_links_per_site`` distinct links are kept, at
most ``max_bytes_per_site`` body bytes are held for the write (more links are dropped, more
bodies recorded without being stored; both counted in ``skipped``), and a wall-clock budget
(``site_time_budget``, from the site's first download) ends the site: its result is delivered
when the budget is spent, whatever is still in flight
(:class:`~clusterradar.crawler.middlewares.SiteTimeBudgetMiddleware` cuts those downloads
short; answers that arrive later are ignored).

On a recrawl of a site whose earlier pages were recorded with a sitemap ``<lastmod>``, the
sitemap is asked FIRST and the site's page requests wait for its answer (or failure); a page
whose previous copy has a body, whose ``<lastmod>`` has not moved and whose last real fetch
lies within ``sitemap_trust_days`` is then recorded without a request, exactly like a 304
(:meth:`SiteSpider._carry_forward`). A first crawl asks for the sitemap and the seed at once.

What a page's scan found (links after the per-page cap, the visible-text verdict, the title) is
stored with the site as a :class:`~clusterradar.warehouse.crawls.LinkScan`, keyed by body hash,
the URL it was scanned as and the link cap. An unchanged page of a recrawl (a 304 or a page
carried on the sitemap's word) replays that scan instead of decoding and scanning its body; the
body is read only where no matching scan is stored (a warehouse from before migration 0011, a
page now reached under another URL, another link cap), and its scan is stored then.

``RegistrySpider`` walks start page -> search form -> hit list pages -> profiles of the
Clusterplattform and yields one :class:`RegistryEntry` per initiative.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import task
from twisted.python.failure import Failure

from clusterradar.crawler import registry as reg
from clusterradar.crawler import site, sitemaps
from clusterradar.crawler.middlewares import (
    HostNotResolved,
    PrivateAddressRefused,
    SiteOutOfTime,
    refusal_of,
)
from clusterradar.crawler.pagescan import MIN_VISIBLE_LETTERS, scan_page
from clusterradar.urls import host_key, normalise_url, same_site
from clusterradar.warehouse.crawls import (
    SITEMAP_UNCHANGED_NOTE,
    CarryInputs,
    LinkScan,
    PageSnapshot,
    PreviousSnapshot,
    SiteResult,
    new_id,
)
from clusterradar.warehouse.history import utcnow

MAX_REDIRECTS = 5
PREFETCH_SITES = 8  # a recrawl reads the previous scans/bodies of this many sites at once
VERDICTS_PER_SITE = 10_000  # link verdicts remembered per site (a hostile site's are bounded)
BUDGET_CHECK_SECONDS = 0.25  # how often sites with nothing arriving are checked for their budget
_REDIRECT_STATUSES = {301, 302, 303, 307, 308}


_EMIT_LOCK = threading.Lock()  # the reactor and the warehouse thread both report
_PENDING: list[str] = []  # progress lines not yet written (page events wait a little)
_PENDING_LINES = 50
_PENDING_SECONDS = 0.25
_last_write = 0.0


def emit(event: dict[str, Any], *, urgent: bool = True) -> None:
    """One progress line for the parent process (JSON on stdout; logs go to the log file).

    A non-``urgent`` line (one per page) waits until 50 are pending, 0.25 s have passed or an
    urgent line follows: a write per page cost the crawl a few percent (issue 17).
    """
    global _last_write
    line = json.dumps(event, ensure_ascii=False, default=str) + "\n"
    with _EMIT_LOCK:
        _PENDING.append(line)
        now = time.monotonic()
        if urgent or len(_PENDING) >= _PENDING_LINES or now - _last_write >= _PENDING_SECONDS:
            sys.stdout.write("".join(_PENDING))
            sys.stdout.flush()
            _PENDING.clear()
            _last_write = now


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def classify_failure(failure: Failure) -> tuple[str, str, bool]:
    """(outcome key, detail, whether a fetch was attempted) for a failed request."""
    exc = failure.value
    text = str(exc) or type(exc).__name__
    if isinstance(exc, PrivateAddressRefused):
        return "refused_private", text, False
    if isinstance(exc, SiteOutOfTime):
        return "time_budget", text, False
    request = getattr(failure, "request", None)
    refused = refusal_of(urlsplit(request.url).hostname or "") if request is not None else None
    if refused is not None:  # the resolver refused it; Twisted reports that as a DNS error
        return "refused_private", refused, False
    if isinstance(exc, HostNotResolved):
        return "dns_error", text, False
    if isinstance(exc, IgnoreRequest):
        if "robots" in text.lower():
            return "robots_denied", "forbidden by robots.txt", False
        return "http_error", text, False
    name = type(exc).__name__
    if "Resolve" in name or "DNS" in name:
        return "dns_error", text, False
    if "Timeout" in name or "TimedOut" in name:
        return "timeout", f"no answer within the download timeout ({name})", True
    if "Cancelled" in name:
        # Scrapy cancels a download only when it exceeds DOWNLOAD_MAXSIZE.
        return "http_error", "too_large: body exceeded DOWNLOAD_MAXSIZE; cut off, not stored", True
    if "Refused" in name:
        return "http_error", "connection refused", True
    return "http_error", f"{name}: {text}"[:300], True


# --- site spider -----------------------------------------------------------------------------
@dataclass(slots=True)
class _SiteState:
    cluster_id: str
    seed_url: str
    scope: site.SiteScope
    frontier: list[tuple[int, int, str, int]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    hashes: dict[str, str] = field(default_factory=dict)  # content hash -> snapshot id (this run)
    bodies: dict[str, bytes] = field(default_factory=dict)  # previous bodies without a scan
    scans: dict[str, dict[str, LinkScan]] = field(default_factory=dict)  # hash -> base url ->
    new_scans: list[LinkScan] = field(default_factory=list)  # scans to store with the site
    # url -> (in scope, skip reason, crawl key): pure verdicts, asked once per distinct link
    verdicts: dict[str, tuple[bool, str | None, str]] = field(default_factory=dict)
    snapshots: list[PageSnapshot] = field(default_factory=list)
    issued: int = 0
    in_flight: int = 0
    stored_bytes: int = 0
    pages_ok: int = 0
    pages_with_text: int = 0
    seed_failure: site.SeedFailure | None = None
    skipped: Counter = field(default_factory=Counter)
    clock: site.SiteClock = field(default_factory=lambda: site.SiteClock(float("inf")))
    out_of_time: bool = False
    done: bool = False
    sitemap_first: bool = False  # page requests wait until the sitemap answered or failed
    lastmods: dict[str, str | None] = field(default_factory=dict)  # normalised url -> lastmod
    order: int = 0  # position of the seed: Scrapy priority, so started sites finish first


class SiteSpider(scrapy.Spider):
    name = "clusterradar-sites"

    def __init__(
        self,
        seeds: list[tuple[str, str]],
        *,
        max_pages: int,
        max_depth: int,
        per_site_parallel: int = 2,
        previous: dict[tuple[str, str], PreviousSnapshot] | None = None,
        load_body: Any = None,
        read_bodies: Any = None,
        capture_pdf: bool = False,
        site_time_budget: float = float("inf"),
        max_links_per_page: int | None = None,
        max_links_per_site: int | None = None,
        max_bytes_per_site: int | None = None,
        sitemap_trust_days: int = 0,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.seeds = seeds
        self.max_pages = max_pages
        self.max_depth = max_depth
        self.per_site_parallel = max(1, per_site_parallel)
        self.previous = previous or {}
        self.load_body = load_body
        self.read_bodies = read_bodies
        self._previous_hashes: dict[str, set[str]] = {}
        self.sitemap_trust_days = sitemap_trust_days
        self._sites_with_lastmod: set[str] = set()  # sites whose sitemap is asked first
        for (cluster_id, _url), previous in self.previous.items():
            self._previous_hashes.setdefault(cluster_id, set()).add(previous.content_hash)
            if previous.sitemap_lastmod is not None and sitemap_trust_days > 0:
                self._sites_with_lastmod.add(cluster_id)
        self.not_requested = 0  # pages carried forward on the sitemap's <lastmod>
        self._prefetched: dict[str, CarryInputs] = {}
        self._prefetching: dict[int, Any] = {}  # first seed index of a chunk -> its Deferred
        # Warehouse reads of previous bodies: "queries" (one per chunk of sites) and
        # "one_by_one" (an unchanged page whose body, needed without a matching stored scan,
        # was not read with its chunk; normally 0).
        self.body_reads: Counter = Counter()
        # Unchanged pages (304, carried) that "replayed" a stored scan, or were scanned
        # "from_body" (no matching scan stored).
        self.unchanged_scans: Counter = Counter()
        self.capture_pdf = capture_pdf
        self.site_time_budget = site_time_budget
        self.max_links_per_page = max_links_per_page
        self.max_links_per_site = max_links_per_site
        self.max_bytes_per_site = max_bytes_per_site
        self.states: dict[str, _SiteState] = {}
        self._seq = itertools.count()
        self._budget_check: task.LoopingCall | None = None  # created in the reactor's time

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._headers_received, signal=signals.headers_received)
        crawler.signals.connect(spider._bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    def _opened(self, spider) -> None:
        if self.site_time_budget != float("inf"):
            self._budget_check = task.LoopingCall(self._expire_spent_sites)
            self._budget_check.start(BUDGET_CHECK_SECONDS, now=False)

    def _closed(self, spider, reason) -> None:
        if self._budget_check is not None and self._budget_check.running:
            self._budget_check.stop()

    def _finished_site_of(self, request: Request) -> bool:
        state = self.states.get(request.meta.get("cluster_id", ""))
        return state is not None and state.done

    def _bytes_received(self, data, request, spider) -> None:
        """Cut a download (a trickling slow-loris page) once its site has ended."""
        if self._finished_site_of(request):
            raise StopDownload(fail=True)

    def _headers_received(self, headers, body_length, request, spider) -> None:
        """Stop downloading binaries as soon as their Content-Type is known."""
        if self._finished_site_of(request):
            raise StopDownload(fail=True)
        if request.meta.get("cr_kind") != "page":
            return
        raw = headers.get(b"Content-Type")
        content_type = raw.decode("latin-1") if raw else None
        if site.is_text_type(content_type):
            return
        if self.capture_pdf and content_type and "pdf" in content_type.lower():
            return
        raise StopDownload(fail=False)

    async def start(self):
        for order, (cluster_id, website) in enumerate(self.seeds):
            if order % PREFETCH_SITES == 0:
                await self._prefetch(order)
            seed = website.strip() if "://" in website else "https://" + website.strip()
            if not site.usable_website(seed):
                state = _SiteState(cluster_id, seed, site.SiteScope("", ""), order=order, done=True)
                self.states[cluster_id] = state
                yield SiteResult(
                    cluster_id, seed, "no_website", f"unusable website URL {website!r}"
                )
                continue
            for output in self._start_site(cluster_id, seed, order):
                yield output

    # -- previous bodies (recrawl) ---------------------------------------------------------
    @property
    def link_limit(self) -> int:
        """The per-page link cap as stored with a scan (0: no cap)."""
        return self.max_links_per_page or 0

    def _bodies_of_chunk(self, first: int) -> Any:
        """Start reading the previous scans (bodies where none is stored) of
        seeds[first:first + PREFETCH_SITES]."""
        ids = [cid for cid, _ in self.seeds[first : first + PREFETCH_SITES]]
        hashes = sorted({h for cid in ids for h in self._previous_hashes.get(cid, ())})
        if not hashes or self.read_bodies is None:
            return None
        deferred = self.read_bodies(hashes, self.link_limit)
        self.body_reads["queries"] += 1

        def keep(found: CarryInputs) -> None:
            for cid in ids:
                mine = self._previous_hashes.get(cid, set())
                self._prefetched[cid] = CarryInputs(
                    {h: s for h, s in found.scans.items() if h in mine},
                    {h: b for h, b in found.bodies.items() if h in mine},
                )

        def failed(failure: Failure) -> None:  # 304 answers then read their bodies one by one
            self.logger.warning("previous bodies not read at once: %s", failure.value)

        return deferred.addCallbacks(keep, failed)

    async def _prefetch(self, first: int) -> None:
        """Wait for the bodies of the chunk starting at `first`, and start reading the next
        chunk's, so a recrawl's 304 answers never wait for the warehouse."""
        current = self._prefetching.pop(first, None) or self._bodies_of_chunk(first)
        following = first + PREFETCH_SITES
        if following < len(self.seeds) and following not in self._prefetching:
            self._prefetching[following] = self._bodies_of_chunk(following)
        if current is not None:
            await maybe_deferred_to_future(current)

    def _start_site(self, cluster_id: str, seed: str, order: int) -> list[Any]:
        prefetched = self._prefetched.pop(cluster_id, None) or CarryInputs()
        state = _SiteState(
            cluster_id,
            seed,
            site.scope_of(seed),
            order=order,
            clock=site.SiteClock(self.site_time_budget),
            bodies=prefetched.bodies,
            scans=prefetched.scans,
        )
        self.states[cluster_id] = state
        state.seen.add(site.crawl_key(seed))
        heapq.heappush(state.frontier, (-1000, next(self._seq), seed, 0))
        root = re.match(r"https?://[^/]+", seed)
        # A recrawl that may trust the sitemap's dates asks for it before any page.
        state.sitemap_first = bool(root) and cluster_id in self._sites_with_lastmod
        out = self._pump(state)
        if root:
            state.in_flight += 1
            out.append(
                Request(
                    root.group(0) + "/sitemap.xml",
                    callback=self.parse_sitemap,
                    errback=self.sitemap_failed,
                    dont_filter=True,
                    priority=-state.order,
                    meta=self._meta(state, [], 0, kind="sitemap"),
                )
            )
        return out

    # -- time budget ---------------------------------------------------------------------
    def download_allowance(self, request: Request) -> float | None:
        """Seconds a download may still take for its site (None: no site limit applies).

        The first download of a site starts its clock. A robots.txt request belongs to every
        unfinished site on its host and gets the longest time left among them.
        """
        now = time.monotonic()
        state = self.states.get(request.meta.get("cluster_id", ""))
        if state is not None:
            if state.done:
                return 0.0
            state.clock.start(now)
            return state.clock.left(now)
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            host = host_key(request.url)
            left = [
                s.clock.left(now)
                for s in self.states.values()
                if not s.done and s.scope.host == host
            ]
            return max(left) if left else None
        return None

    def _out_of_time(self, state: _SiteState) -> list[Any]:
        """End a site whose budget is spent: drop what is queued, return its result."""
        if state.done or not state.clock.spent(time.monotonic()):
            return []
        state.out_of_time = True
        unfetched = len(state.frontier) + state.in_flight
        if unfetched:
            state.skipped["time_budget"] += unfetched
        state.frontier.clear()
        state.done = True
        return [self.result_of(state)]

    def _expire_spent_sites(self) -> None:
        """Timer: deliver the results of sites whose budget ran out while nothing arrived."""
        for state in list(self.states.values()):
            for result in self._out_of_time(state):
                deferred_from_coro(
                    self.crawler.engine.scraper.start_itemproc_async(result, response=None)
                )

    # -- requests ------------------------------------------------------------------------
    def _meta(self, state: _SiteState, chain: list[str], depth: int, *, kind: str = "page") -> dict:
        return {
            "cluster_id": state.cluster_id,
            "cr_kind": kind,
            "cr_chain": chain,
            "cr_depth": depth,
            "cr_seed": bool(chain) and chain[0] == state.seed_url,
            "handle_httpstatus_all": True,
            "dont_redirect": True,
            "download_slot": state.scope.host,
        }

    def _page_request(self, state: _SiteState, url: str, depth: int, chain: list[str]) -> Request:
        headers = {}
        previous = self.previous.get((state.cluster_id, normalise_url(url)))
        if previous is not None:
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        return Request(
            url,
            callback=self.parse_page,
            errback=self.page_failed,
            headers=headers,
            # Within a site the frontier orders pages; across sites, earlier seeds go first so
            # that sites finish (and are written) one after another, not all at the end.
            priority=-state.order,
            dont_filter=True,
            meta=self._meta(state, [*chain, url], depth),
        )

    def _verdict(self, state: _SiteState, url: str) -> tuple[bool, str | None, str]:
        """(in scope, skip reason, crawl key) of a link; the rules are pure, so a link offered
        by every page of a site (its navigation) is judged once per site."""
        verdict = state.verdicts.get(url)
        if verdict is None:
            verdict = (
                state.scope.contains(url),
                site.skip_reason(url, capture_pdf=self.capture_pdf),
                site.crawl_key(url),
            )
            if len(state.verdicts) < VERDICTS_PER_SITE:
                state.verdicts[url] = verdict
        return verdict

    def _offer(self, state: _SiteState, url: str, depth: int, anchor: str = "") -> None:
        if depth > self.max_depth:
            state.skipped["depth"] += 1
            return
        in_scope, reason, key = self._verdict(state, url)
        if not in_scope:
            state.skipped["offsite"] += 1
            return
        if reason:
            state.skipped[reason] += 1
            return
        if key in state.seen:
            return
        if self.max_links_per_site is not None and len(state.seen) >= self.max_links_per_site:
            state.skipped["site link cap"] += 1
            return
        state.seen.add(key)
        priority = site.link_priority(url, depth, anchor)
        heapq.heappush(state.frontier, (-priority, next(self._seq), url, depth))

    def _pump(self, state: _SiteState) -> list[Any]:
        out: list[Any] = []
        while (
            not state.sitemap_first
            and state.frontier
            and state.in_flight < self.per_site_parallel
            and state.issued < self.max_pages
        ):
            _, _, url, depth = heapq.heappop(state.frontier)
            state.issued += 1  # a page carried forward counts against the budget too
            if self._carry_forward(state, url, depth):
                continue
            out.append(self._page_request(state, url, depth, []))
            state.in_flight += 1
        return out

    def _unchanged_by_sitemap(self, state: _SiteState, url: str) -> PreviousSnapshot | None:
        """The previous snapshot a page may be carried forward from without a request: the
        sitemap lists it with the ``<lastmod>`` recorded at its last fetch, that copy has a
        body, and a request went out for it at most ``sitemap_trust_days`` ago. None: ask."""
        if self.sitemap_trust_days <= 0 or not state.lastmods:
            return None
        key = normalise_url(url)
        lastmod = state.lastmods.get(key)
        previous = self.previous.get((state.cluster_id, key))
        if lastmod is None or previous is None or previous.sitemap_lastmod != lastmod:
            return None
        requested = previous.requested_at
        if requested is None or utcnow() - requested > timedelta(days=self.sitemap_trust_days):
            return None
        return previous

    def _carry_forward(self, state: _SiteState, url: str, depth: int) -> bool:
        """Record a page whose sitemap date has not moved as a 304 would be recorded, without
        a request; its links are read from the previous body. False: request it.

        The row gets ``http_status`` 304 ("not modified"), which is what the site asserted
        through its sitemap and what every reader of ``page_snapshots`` already treats as an
        unchanged page: the run summary and the progress display count NULL and >= 400 as
        failed fetches (NULL would turn every skipped page into an error), the pipeline and
        the quarterly counts follow ``unchanged_of`` whatever the status, and the review shows
        status and note side by side. The note (:data:`SITEMAP_UNCHANGED_NOTE`) says that no
        request was sent; a later recrawl measures the trust window from the last row without
        that note.
        """
        previous = self._unchanged_by_sitemap(state, url)
        if previous is None:
            return False
        scan = self._stored_scan(state, previous.content_hash, url)
        body = None if scan is not None else self._previous_body(state, previous.content_hash)
        if scan is None and body is None:
            return False  # nothing to read links from: ask the site
        snap = PageSnapshot(
            snapshot_id=new_id(),
            cluster_id=state.cluster_id,
            url=site.stored_url(url),
            final_url=url,
            fetched_at=utcnow(),
            http_status=304,
            etag=previous.etag,
            last_modified=previous.last_modified,
        )
        self._mark_unchanged(snap, previous)
        snap.note = SITEMAP_UNCHANGED_NOTE
        state.snapshots.append(snap)
        self.not_requested += 1
        emit({"event": "page", "cluster_id": state.cluster_id, "status": 304}, urgent=False)
        if scan is not None:
            self._replay_scan(state, snap, scan, depth)
        elif body is not None and not body.startswith(b"%PDF-"):  # a PDF: no links to read
            self._read_links(state, snap, url, body, depth)
        return True

    def _stored_scan(self, state: _SiteState, content_hash: str, url: str) -> LinkScan | None:
        """The stored scan of a previous body read as `url` with today's link cap, if any."""
        return state.scans.get(content_hash, {}).get(url)

    def _previous_body(self, state: _SiteState, content_hash: str) -> bytes | None:
        """A previous body, from its site's prefetch or (rarely) read on its own."""
        body = state.bodies.get(content_hash)
        if body is None and self.load_body is not None:
            self.body_reads["one_by_one"] += 1
            body = self.load_body(content_hash)
        return body

    def _finish_if_done(self, state: _SiteState) -> list[Any]:
        if state.done or state.in_flight > 0:
            return []
        if state.frontier and state.issued < self.max_pages:
            return []
        state.done = True
        return [self.result_of(state)]

    def result_of(self, state: _SiteState) -> SiteResult:
        state.bodies, state.scans, state.verdicts = {}, {}, {}  # the site is over
        if state.lastmods:  # pages fetched before the sitemap arrived get their date too
            for snap in state.snapshots:
                if snap.sitemap_lastmod is None:
                    snap.sitemap_lastmod = state.lastmods.get(normalise_url(snap.url))
        spent = state.clock.budget if state.out_of_time else None
        outcome, detail = site.decide_outcome(
            state.pages_with_text, state.pages_ok, state.seed_failure, spent
        )
        if outcome == "ok" and state.out_of_time:
            detail = (
                f"time budget of {state.clock.budget:g} s spent; "
                f"{state.skipped['time_budget']} page(s) left unfetched"
            )
        elif outcome == "ok" and state.frontier:
            detail = f"page budget of {self.max_pages} reached"
        return SiteResult(
            state.cluster_id,
            state.seed_url,
            outcome,
            detail,
            state.snapshots,
            scans=state.new_scans,
        )

    def unfinished(self) -> list[_SiteState]:
        return [s for s in self.states.values() if not s.done]

    def _after(self, state: _SiteState) -> list[Any]:
        return self._out_of_time(state) or (self._pump(state) + self._finish_if_done(state))

    # -- callbacks -----------------------------------------------------------------------
    def parse_page(self, response: Response) -> list[Any]:
        meta = response.meta
        state = self.states[meta["cluster_id"]]
        if state.done:
            return []  # arrived after the site's time budget ended it
        state.in_flight -= 1
        chain: list[str] = meta["cr_chain"]
        requested = chain[-1]
        snap = PageSnapshot(
            snapshot_id=new_id(),
            cluster_id=state.cluster_id,
            url=site.stored_url(requested),  # as requested: scheme kept
            final_url=response.url,
            fetched_at=utcnow(),
            http_status=response.status,
            content_type=_header(response, "Content-Type"),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
        )
        state.snapshots.append(snap)
        emit(
            {"event": "page", "cluster_id": state.cluster_id, "status": response.status},
            urgent=False,
        )
        body: bytes | None = None
        follow: list[Request] = []
        if response.status in _REDIRECT_STATUSES and response.headers.get("Location"):
            follow = self._redirect(state, response, snap, chain)
        elif response.status == 304:
            previous = self.previous.get((state.cluster_id, normalise_url(snap.url)))
            if previous is None:
                snap.note = "304 without an earlier copy"
            else:
                self._mark_unchanged(snap, previous)
                scan = self._stored_scan(state, previous.content_hash, response.url)
                if scan is not None:
                    self._replay_scan(state, snap, scan, meta["cr_depth"])
                else:
                    body = self._previous_body(state, previous.content_hash)
                if body is not None and body.startswith(b"%PDF-"):
                    body = None  # an unchanged captured PDF: nothing to read links from
        elif "download_stopped" in response.flags or not site.is_text_type(snap.content_type):
            if (
                self.capture_pdf
                and site.is_pdf_type(snap.content_type)
                and "download_stopped" not in response.flags
                and response.status < 300
            ):
                snap.note = "pdf captured"  # stored as is; the pipeline skips non-HTML bodies
                self._store(state, snap, response.body)
            else:
                snap.note = f"binary skipped ({(snap.content_type or '?').split(';')[0]})"
        elif response.status >= 400:
            snap.note = f"http {response.status}"
            if meta["cr_seed"]:
                state.seed_failure = site.SeedFailure("http_error", f"HTTP {response.status}")
        else:
            body = response.body
            self._store(state, snap, body)
        if body is not None:
            self._read_links(state, snap, response.url, body, meta["cr_depth"])
        return follow + self._after(state)

    def _read_links(
        self, state: _SiteState, snap: PageSnapshot, url: str, body: bytes, depth: int
    ) -> None:
        """Scan a body read as `url` (fresh, or unchanged without a stored scan), keep the
        scan for the warehouse and act on it."""
        text = site.decode_body(snap.content_type, body)
        page = scan_page(url, text, self.max_links_per_page, MIN_VISIBLE_LETTERS)
        scan = LinkScan(
            content_hash=snap.content_hash or "",
            base_url=url,
            link_limit=self.link_limit,
            title=site.html_title(text),
            has_text=page.visible_letters >= MIN_VISIBLE_LETTERS,
            links_dropped=page.links_dropped,
            links=tuple(page.links),
        )
        if snap.content_hash:  # its body is stored (or was): the next recrawl replays the scan
            state.new_scans.append(scan)
        if snap.unchanged_of is not None and snap.note != "duplicate":
            self.unchanged_scans["from_body"] += 1
        self._act_on_scan(state, snap, scan, depth)

    def _replay_scan(self, state: _SiteState, snap: PageSnapshot, scan: LinkScan, depth: int):
        """An unchanged page: act on its stored scan as if its body had been scanned."""
        self.unchanged_scans["replayed"] += 1
        self._act_on_scan(state, snap, scan, depth)

    def _act_on_scan(self, state: _SiteState, snap: PageSnapshot, scan: LinkScan, depth: int):
        """Judge a page's kind and text and offer its links."""
        snap.page_kind = site.page_kind(snap.url, scan.title)
        state.pages_ok += 1
        if scan.has_text:
            state.pages_with_text += 1
        if snap.note != "duplicate":
            if scan.links_dropped:
                state.skipped["page link cap"] += scan.links_dropped
            for link, anchor in scan.links:
                self._offer(state, link, depth + 1, anchor)

    def _mark_unchanged(self, snap: PageSnapshot, previous: PreviousSnapshot) -> None:
        snap.note = "unchanged"
        snap.unchanged_of = previous.snapshot_id
        snap.content_hash = previous.content_hash

    def _store(self, state: _SiteState, snap: PageSnapshot, body: bytes) -> None:
        digest = hashlib.sha256(body).hexdigest()
        previous = self.previous.get((state.cluster_id, normalise_url(snap.url)))
        if previous is not None and previous.content_hash == digest:
            self._mark_unchanged(snap, previous)
        elif digest in state.hashes:
            snap.note = "duplicate"
            snap.unchanged_of = state.hashes[digest]
            snap.content_hash = digest
        elif (
            self.max_bytes_per_site is not None
            and state.stored_bytes + len(body) > self.max_bytes_per_site
        ):
            # Held in memory until the site is written (in one transaction): bounded per site.
            snap.note = f"not stored: site byte cap of {self.max_bytes_per_site} reached"
            state.skipped["site byte cap"] += 1
        else:
            snap.content_hash = digest
            snap.body = body
            state.hashes[digest] = snap.snapshot_id
            state.stored_bytes += len(body)

    def _redirect(
        self, state: _SiteState, response: Response, snap: PageSnapshot, chain: list[str]
    ) -> list[Request]:
        """Record a redirect; follow it at once if it stays on the site and does not loop."""
        target = site.clean_link(response.url, _header(response, "Location") or "")
        seed = response.meta["cr_seed"]
        if target is None:
            snap.note = "redirect without a usable Location"
            return []
        if not same_site(target, state.seed_url):
            snap.note = f"offsite redirect to {target} (not followed)"
            if seed:
                state.seed_failure = site.SeedFailure("offsite_redirect", f"redirects to {target}")
            return []
        if target in chain or len(chain) > MAX_REDIRECTS:
            snap.note = f"redirect loop at {target}"
            if seed:
                state.seed_failure = site.SeedFailure("http_error", f"redirect loop at {target}")
            return []
        snap.note = f"redirect to {target}"
        key = site.crawl_key(target)
        if key in state.seen and key != site.crawl_key(chain[-1]) and not seed:
            return []  # already fetched or queued under its own URL
        state.seen.add(key)
        if state.issued >= self.max_pages:
            return []
        state.issued += 1
        state.in_flight += 1
        # The chain travels on (loop detection); its first URL keeps the seed flag.
        return [self._page_request(state, target, response.meta["cr_depth"], chain)]

    def page_failed(self, failure: Failure) -> list[Any]:
        request = failure.request
        state = self.states[request.meta["cluster_id"]]
        if state.done:
            return []  # cut short or refused after the site's time budget ended it
        state.in_flight -= 1
        outcome, detail, attempted = classify_failure(failure)
        if attempted:
            state.snapshots.append(
                PageSnapshot(
                    snapshot_id=new_id(),
                    cluster_id=state.cluster_id,
                    url=site.stored_url(request.url),
                    final_url=None,
                    fetched_at=utcnow(),
                    http_status=None,
                    note=detail if detail.startswith("too_large") else f"{outcome}: {detail}",
                )
            )
            emit({"event": "page", "cluster_id": state.cluster_id, "status": None}, urgent=False)
        else:
            state.skipped[outcome] += 1
        if request.meta.get("cr_seed"):
            state.seed_failure = site.SeedFailure(outcome, detail)
        return self._after(state)

    def parse_sitemap(self, response: Response) -> list[Any]:
        state = self.states[response.meta["cluster_id"]]
        if state.done:
            return []
        state.in_flight -= 1
        state.sitemap_first = False
        if response.status == 200:
            try:
                read = sitemaps.read_sitemap(
                    response.body, response.url, state.scope, self.max_links_per_page, utcnow()
                )
            except Exception:
                read = None
                state.skipped["bad sitemap"] += 1
            if read is not None:
                if read.capped:
                    state.skipped["page link cap"] += read.capped
                if read.offsite:
                    state.skipped["offsite"] += read.offsite
                for url, lastmod in read.entries:
                    state.lastmods.setdefault(normalise_url(url), lastmod)
                    self._offer(state, url, 1)
        return self._after(state)

    def sitemap_failed(self, failure: Failure) -> list[Any]:
        state = self.states[failure.request.meta["cluster_id"]]
        if state.done:
            return []
        state.in_flight -= 1
        state.sitemap_first = False
        return self._after(state)


# --- registry spider -------------------------------------------------------------------------
def _strip_session(url: str) -> str:
    return re.sub(r";jsessionid=[^/?#]*", "", url, flags=re.IGNORECASE)


class RegistrySpider(scrapy.Spider):
    """Start page -> search form -> all hit list pages -> every profile."""

    name = "clusterradar-registry"

    def __init__(self, start_url: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.start_url = start_url
        self.profiles_seen: set[str] = set()
        self.reported_total: int | None = None
        self.failures: list[str] = []
        self.list_pages = 0
        self.entries = 0
        self.pages_fetched = 0  # responses that reached a parse callback
        self.start_failure: str | None = None

    async def start(self):
        yield Request(self.start_url, callback=self.parse_start, errback=self.start_failed)

    def start_failed(self, failure: Failure) -> None:
        _, detail, _ = classify_failure(failure)
        self.start_failure = f"{self.start_url}: {detail}"

    def list_failed(self, failure: Failure) -> None:
        _, detail, _ = classify_failure(failure)
        self.failures.append(f"{failure.request.url}: list page not fetched ({detail})")

    def profile_failed(self, failure: Failure) -> None:
        _, detail, _ = classify_failure(failure)
        self.failures.append(f"{failure.request.url}: profile not fetched ({detail})")

    def parse_start(self, response: Response) -> list[Any]:
        self.pages_fetched += 1
        if not isinstance(response, TextResponse):
            self.start_failure = f"{response.url}: start page is not HTML"
            return []
        if reg.is_hit_list(response):
            self.pages_fetched -= 1  # parse_list counts this response
            return self.parse_list(response)
        forms = reg.search_form_urls(response)
        if not forms:
            self.start_failure = f"{response.url}: no link to the cluster search form found"
            return []
        return [
            Request(_strip_session(forms[0]), callback=self.parse_list, errback=self.list_failed)
        ]

    def parse_list(self, response: Response) -> list[Any]:
        self.pages_fetched += 1
        if not isinstance(response, TextResponse):
            self.failures.append(f"{response.url}: hit list page is not HTML")
            return []
        self.list_pages += 1
        page = reg.parse_hit_list(response)
        self.failures.extend(page.failures)
        if page.reported_total is not None:
            self.reported_total = max(self.reported_total or 0, page.reported_total)
        if not page.profiles and not page.failures:
            self.failures.append(f"{response.url}: hit list page without entries")
        out: list[Any] = []
        for url, _name in page.profiles:
            url = _strip_session(url)
            if url not in self.profiles_seen:
                self.profiles_seen.add(url)
                out.append(Request(url, callback=self.parse_profile, errback=self.profile_failed))
        out += [
            Request(_strip_session(u), callback=self.parse_list, errback=self.list_failed)
            for u in page.next_pages
        ]
        emit({"event": "list", "url": response.url, "entries": len(page.profiles)})
        return out

    def parse_profile(self, response: Response) -> list[Any]:
        self.pages_fetched += 1
        if not isinstance(response, TextResponse):
            self.failures.append(f"{response.url}: profile is not HTML")
            return []
        parsed = reg.parse_profile(response)
        if isinstance(parsed, reg.ParseFailure):
            self.failures.append(f"{parsed.url}: {parsed.reason}")
            return []
        self.entries += 1
        emit({"event": "entry", "name": parsed.name})
        return [parsed]

    def summary(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "reported_total": self.reported_total,
            "list_pages": self.list_pages,
            "pages_fetched": self.pages_fetched,
            "failures": self.failures,
            "start_failure": self.start_failure,
        }
