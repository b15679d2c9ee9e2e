"""Crawl runs, site outcomes and page snapshots in the warehouse.

A site's snapshots, its new bodies, the link scans of its bodies and its outcome are written in
ONE short transaction when the site is finished (:func:`write_site`), so an interrupted crawl
leaves either all of a site or nothing of it; a rerun skips the sites that already have an
outcome in the unfinished run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import duckdb

from clusterradar.errors import NotFoundError
from clusterradar.urls import normalise_url
from clusterradar.warehouse.db import query
from clusterradar.warehouse.history import utcnow
from clusterradar.warehouse.locks import pid_alive
from clusterradar.warehouse.records import PageSnapshot  # the crawler imports it from here


@dataclass(slots=True, frozen=True)
class LinkScan:
    """What the crawl read from one body scanned as one URL: a row of ``page_link_scans``.

    A recrawl's unchanged page reads this instead of its body (migration 0011). ``links`` are
    (absolute URL, anchor text) in document order after the per-page cap ``link_limit`` (0: no
    cap), resolved against ``base_url`` (or the body's ``<base href>``); ``links_dropped`` the
    link elements beyond the cap; ``has_text`` whether the body had enough visible letters;
    ``title`` its ``<title>``, from which (with the page's URL) the page kind is judged.
    """

    content_hash: str
    base_url: str
    link_limit: int
    title: str | None
    has_text: bool
    links_dropped: int
    links: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class SiteResult:
    """Everything one site crawl produced: written atomically by :func:`write_site`.

    ``scans``: the link scans of the bodies this crawl read (fresh, or unchanged ones that had
    no stored scan yet), stored with the snapshots for the next recrawl."""

    cluster_id: str
    seed_url: str | None
    outcome: str
    detail: str | None
    snapshots: list[PageSnapshot] = field(default_factory=list)
    finished_at: dt.datetime = field(default_factory=utcnow)
    scans: list[LinkScan] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return len(self.snapshots)


# The note of a page recorded without a request because the site's sitemap gave the same
# <lastmod> as at its last fetch (the crawler writes it, the warehouse reads it back).
SITEMAP_UNCHANGED_NOTE = "unchanged (sitemap lastmod)"


@dataclass(slots=True)
class PreviousSnapshot:
    """The latest stored fetch of a URL: what conditional requests and 'unchanged' build on.

    ``sitemap_lastmod`` is the sitemap's <lastmod> recorded with that fetch (None: none known);
    ``requested_at`` is when a request last went out for the URL (rows carried forward on the
    sitemap's word do not count; None: never), which the sitemap trust window is measured from.
    """

    snapshot_id: str  # the snapshot that holds the body (never itself an 'unchanged' row)
    content_hash: str
    etag: str | None
    last_modified: str | None
    sitemap_lastmod: str | None = None
    requested_at: dt.datetime | None = None


@dataclass(slots=True)
class CrawlRun:
    crawl_run_id: str
    kind: str
    quarter: str | None
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    settings: dict[str, Any]
    stats: dict[str, Any]


def new_id() -> str:
    return uuid.uuid4().hex


# --- runs ----------------------------------------------------------------------------------
def start_run(
    con: duckdb.DuckDBPyConnection, kind: str, *, quarter: str | None, settings: dict[str, Any]
) -> str:
    run_id = f"{kind}-{utcnow():%Y%m%dT%H%M%S}-{new_id()[:6]}"
    con.execute(
        query("crawl_insert_run"),
        [run_id, kind, quarter, utcnow(), json.dumps(settings), json.dumps({"pid": os.getpid()})],
    )
    return run_id


def get_run(con: duckdb.DuckDBPyConnection, run_id: str) -> CrawlRun:
    row = con.execute(query("crawl_get_run"), [run_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no crawl run {run_id!r}")
    return CrawlRun(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        json.loads(row[6] or "{}"),
        json.loads(row[7] or "{}"),
    )


def claim_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Mark a resumed run as running again under this process."""
    stats = get_run(con, run_id).stats
    stats["pid"] = os.getpid()
    stats["resumed"] = int(stats.get("resumed", 0)) + 1
    con.execute(query("crawl_update_run"), ["running", None, json.dumps(stats), run_id])


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, stats: dict[str, Any]
) -> None:
    finished = utcnow() if status in ("finished", "failed") else None
    con.execute(query("crawl_update_run"), [status, finished, json.dumps(stats), run_id])

    return True


@dataclass(slots=True)
class ResumeDecision:
    """What to do with earlier unfinished runs of the same kind and quarter."""

    run_id: str | None  # the run to continue (same request), or None: start a new one
    started_at: dt.datetime | None
    abandoned: list[str] = field(default_factory=list)  # runs that asked for something else


def resumable_run(
    con: duckdb.DuckDBPyConnection, kind: str, quarter: str | None, request_hash: str
) -> ResumeDecision:
    """Pick the run to continue and abandon the ones that cannot be (call in a transaction).

    A run is continued only when it asked for the same thing (``settings.request_hash``: kind,
    cluster selection, page budget, settings that change what is fetched) and its process is
    gone. An unfinished run that asked for something else is marked ``abandoned``: resuming it
    with another cluster list would mark it finished without the sites it was started for.
    A ``running`` run whose process is alive belongs to another crawl and is left alone.
    """
    decision = ResumeDecision(None, None)
    for run_id, status, started_at, settings, stats in con.execute(
        query("crawl_unfinished_runs"), [kind, quarter]
    ).fetchall():
        pid = json.loads(stats or "{}").get("pid")
        if status == "running" and isinstance(pid, int) and pid_alive(pid):
            continue
        same = json.loads(settings or "{}").get("request_hash") == request_hash
        if same and decision.run_id is None:
            decision.run_id, decision.started_at = run_id, started_at
        else:
            abandon_run(con, run_id, "a later crawl asked for other clusters or settings")
            decision.abandoned.append(run_id)
    return decision


def abandon_run(con: duckdb.DuckDBPyConnection, run_id: str, reason: str) -> None:
    """Close an unfinished run for good (its rows stay); status ``abandoned``."""
    stats = get_run(con, run_id).stats
    stats["abandoned"] = reason
    con.execute(query("crawl_update_run"), ["abandoned", utcnow(), json.dumps(stats), run_id])


# --- sites ---------------------------------------------------------------------------------
def site_seeds(
    con: duckdb.DuckDBPyConnection, cluster_ids: list[str] | None
) -> list[tuple[str, str | None]]:
    """(cluster_id, website) of the named clusters (all when None), by id."""
    rows = con.execute(query("crawl_site_seeds"), [cluster_ids]).fetchall()
    if cluster_ids:
        unknown = sorted(set(cluster_ids) - {r[0] for r in rows})
        if unknown:
            raise NotFoundError(f"unknown cluster id(s): {', '.join(unknown)}")
    return [(r[0], r[1]) for r in rows]


def sites_done(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str]:
    return {r[0] for r in con.execute(query("crawl_sites_done"), [run_id]).fetchall()}


def previous_snapshots(
    con: duckdb.DuckDBPyConnection, cluster_ids: list[str]
) -> dict[tuple[str, str], PreviousSnapshot]:
    """Latest fetch with a body per (cluster_id, normalised url), for conditional requests.

    Keyed by :func:`clusterradar.urls.normalise_url` (the spider looks pages up the same way):
    stored URLs keep the scheme they were fetched with, and an http page that moved to https
    is still the same page.
    """
    rows = con.execute(
        query("crawl_previous_snapshots"), [cluster_ids, SITEMAP_UNCHANGED_NOTE]
    ).fetchall()
    found: dict[tuple[str, str], PreviousSnapshot] = {}
    latest: dict[tuple[str, str], Any] = {}
    for row in rows:
        cluster_id, url, body_id, content_hash, etag, last_modified, lastmod, fetched_at = row[:8]
        key = (cluster_id, normalise_url(url))
        if key not in latest or fetched_at > latest[key]:
            latest[key] = fetched_at
            found[key] = PreviousSnapshot(
                body_id, content_hash, etag, last_modified, lastmod, row[8]
            )
    return found


def load_body(con: duckdb.DuckDBPyConnection, content_hash: str) -> bytes | None:
    row = con.execute(query("crawl_load_body"), [content_hash]).fetchone()
    return bytes(row[0]) if row else None


def load_bodies(con: duckdb.DuckDBPyConnection, content_hashes: list[str]) -> dict[str, bytes]:
    """The stored bodies of these hashes, by hash, in one query (absent ones are left out)."""
    if not content_hashes:
        return {}
    rows = con.execute(query("crawl_load_bodies"), [sorted(set(content_hashes))]).fetchall()
    return {content_hash: bytes(body) for content_hash, body in rows}


def load_link_scans(
    con: duckdb.DuckDBPyConnection, content_hashes: list[str], link_limit: int
) -> dict[str, dict[str, LinkScan]]:
    """The stored scans of these bodies read with ``link_limit``, by hash, then base URL."""
    if not content_hashes:
        return {}
    rows = con.execute(
        query("crawl_load_link_scans"), [sorted(set(content_hashes)), link_limit]
    ).fetchall()
    found: dict[str, dict[str, LinkScan]] = {}
    for content_hash, base_url, title, has_text, dropped, links, anchors in rows:
        found.setdefault(content_hash, {})[base_url] = LinkScan(
            content_hash, base_url, link_limit, title, has_text, dropped,
            tuple(zip(links, anchors, strict=True)),
        )  # fmt: skip
    return found


@dataclass(slots=True)
class CarryInputs:
    """What a recrawl's unchanged pages of a few sites need: the stored scans of their
    bodies, and the bodies themselves only where no scan is stored (written before 0011)."""

    scans: dict[str, dict[str, LinkScan]] = field(default_factory=dict)
    bodies: dict[str, bytes] = field(default_factory=dict)


def load_carry_inputs(
    con: duckdb.DuckDBPyConnection, content_hashes: list[str], link_limit: int
) -> CarryInputs:
    """Scans of these bodies, and the bodies that have none (two queries at most)."""
    scans = load_link_scans(con, content_hashes, link_limit)
    return CarryInputs(scans, load_bodies(con, [h for h in content_hashes if h not in scans]))


def write_site(con: duckdb.DuckDBPyConnection, run_id: str, result: SiteResult) -> None:
    """Insert a finished site's bodies, snapshots and outcome (call inside a transaction)."""
    write_sites(con, run_id, [result])


BODY_CHUNK_BYTES = 2 * 1024 * 1024  # bodies per insert statement (its memory grows with them)


def write_sites(con: duckdb.DuckDBPyConnection, run_id: str, results: list[SiteResult]) -> None:
    """Insert finished sites' bodies, link scans, snapshots and outcomes (call inside a
    transaction).

    Set-based: one statement per table with a list per column (bodies in chunks of about
    :data:`BODY_CHUNK_BYTES`), whatever the number of pages; a statement per row costs about
    ten times as much per row (issue 17). Lists, not Arrow tables: pyarrow would bring pandas
    into the crawl process (about 110 MB).
    """
    bodies: dict[str, bytes] = {}
    snapshots = [s for result in results for s in result.snapshots]
    for s in snapshots:
        if s.body is not None and s.content_hash:
            bodies.setdefault(s.content_hash, s.body)
    chunk: list[tuple[str, bytes]] = []
    size = 0
    for content_hash, body in bodies.items():
        chunk.append((content_hash, body))
        size += len(body)
        if size >= BODY_CHUNK_BYTES:
            _insert_bodies(con, chunk)
            chunk, size = [], 0
    _insert_bodies(con, chunk)
    _insert_scans(con, [scan for result in results for scan in result.scans])
    if snapshots:
        con.execute(
            query("crawl_insert_snapshots"),
            [
                [s.snapshot_id for s in snapshots], run_id,
                [s.cluster_id for s in snapshots], [s.url for s in snapshots],
                [s.final_url for s in snapshots], [s.fetched_at for s in snapshots],
                [s.http_status for s in snapshots], [s.content_type for s in snapshots],
                [s.etag for s in snapshots], [s.last_modified for s in snapshots],
                [s.content_hash for s in snapshots], [s.unchanged_of for s in snapshots],
                [s.page_kind for s in snapshots], [s.note for s in snapshots],
                [s.sitemap_lastmod for s in snapshots],
            ],
        )  # fmt: skip
    if results:
        con.execute(
            query("crawl_insert_outcomes"),
            [
                run_id, [r.cluster_id for r in results], [r.seed_url for r in results],
                [r.outcome for r in results], [r.pages for r in results],
                [r.detail for r in results], [r.finished_at for r in results],
            ],
        )  # fmt: skip


def _insert_bodies(con: duckdb.DuckDBPyConnection, chunk: list[tuple[str, bytes]]) -> None:
    if chunk:
        con.execute(query("crawl_insert_bodies"), [[h for h, _ in chunk], [b for _, b in chunk]])


def _insert_scans(con: duckdb.DuckDBPyConnection, scans: list[LinkScan]) -> None:
    unique = list({(s.content_hash, s.base_url, s.link_limit): s for s in scans}.values())
    if unique:
        con.execute(
            query("crawl_insert_link_scans"),
            [
                [s.content_hash for s in unique], [s.base_url for s in unique],
                [s.link_limit for s in unique], [s.title for s in unique],
                [s.has_text for s in unique], [s.links_dropped for s in unique],
                [[url for url, _ in s.links] for s in unique],
                [[anchor for _, anchor in s.links] for s in unique],
            ],
        )  # fmt: skip


def run_summary(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """Counts of one site crawl run: outcomes, pages recorded, unchanged pages (of which
    ``not_requested``: carried forward on the sitemap's <lastmod> without a request), errors."""
    outcomes = dict(con.execute(query("crawl_run_outcomes"), [run_id]).fetchall())
    fetched, unchanged, stored, failed, skipped = con.execute(
        query("crawl_run_pages"), [run_id, SITEMAP_UNCHANGED_NOTE]
    ).fetchone()
    return {
        "outcomes": outcomes,
        "sites": sum(outcomes.values()),
        "pages": int(fetched or 0),
        "unchanged": int(unchanged or 0),
        "new_bodies": int(stored or 0),
        "page_errors": int(failed or 0),
        "not_requested": int(skipped or 0),
    }


def clusters_with_last_outcome(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = con.execute(query("crawl_clusters_list"))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
