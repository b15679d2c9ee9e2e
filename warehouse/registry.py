"""Registry entries into ``clusters`` (upsert, never delete) and ``cluster_sightings`` (append).

Matching, in this order, so a registry entry updates the row it describes instead of adding a
duplicate: the same registry profile URL; the website (``clusterradar.urls.match_website``:
www-insensitive host, longest path prefix for shared hosts); the normalised name (or an
alternative name). A matched paper cluster keeps its id, name, website and Länder (the paper's
curated facts) and gains the registry's profile URL, Technologiefelder and Fördermaßnahmen.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import duckdb

from clusterradar.errors import InputError
from clusterradar.urls import host_key, match_website, normalise_name, normalise_url, slugify
from clusterradar.warehouse.db import query
from clusterradar.warehouse.history import utcnow


class RegistryRecord(Protocol):
    """What the registry spider yields per initiative (``clusterradar.crawler.registry``)."""

    name: str
    profile_url: str
    bundeslaender: list[str]
    technologiefelder: list[str]
    foerdermassnahmen: list[str]
    website: str | None

    @property
    def go_cluster(self) -> bool: ...


@dataclass(slots=True)
class UpsertCounts:
    """How a batch of registry entries changed ``clusters``."""

    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    matched_paper: list[str] = field(default_factory=list)

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.matched_paper += other.matched_paper


@dataclass(slots=True)
class _Known:
    cluster_id: str
    name: str
    alt_names: list[str]
    website: str | None
    profile_url: str | None
    origin: str
    bundeslaender: list[str]
    go_cluster: bool | None


def _known_clusters(con: duckdb.DuckDBPyConnection) -> list[_Known]:
    return [_Known(*row) for row in con.execute(query("crawl_registry_known_clusters")).fetchall()]


class _Matcher:
    """The known clusters, indexed for matching: a batch of 450 entries compared every entry
    with every known cluster (URLs and names normalised again each time), quadratic in the
    registry's size (issue 17). Same answers as a scan in ``known`` order: the first free
    cluster with the entry's profile URL, else the best website match among the free ones,
    else the first free one with the entry's name."""

    def __init__(self, known: list[_Known]):
        self.known: list[_Known] = []
        self._by_profile: dict[str, list[_Known]] = {}
        self._by_host: dict[str, list[_Known]] = {}
        self._by_name: dict[str, list[_Known]] = {}
        for k in known:
            self.add(k)

    def add(self, k: _Known) -> None:
        self.known.append(k)
        # Compared as matching keys (scheme-insensitive): stored URLs keep the fetched scheme.
        if k.profile_url:
            self._by_profile.setdefault(normalise_url(k.profile_url), []).append(k)
        if k.website:
            self._by_host.setdefault(host_key(k.website), []).append(k)
        for name in dict.fromkeys(normalise_name(n) for n in [k.name, *k.alt_names]):
            self._by_name.setdefault(name, []).append(k)

    def match(self, entry: RegistryRecord, claimed: set[str]) -> _Known | None:
        def first_free(candidates: list[_Known]) -> _Known | None:
            return next((k for k in candidates if k.cluster_id not in claimed), None)

        found = first_free(self._by_profile.get(normalise_url(entry.profile_url), []))
        if found is not None:
            return found
        if entry.website:
            same_host = [
                k
                for k in self._by_host.get(host_key(entry.website), [])
                if k.cluster_id not in claimed
            ]
            hit = match_website(entry.website, [(k.cluster_id, k.website or "") for k in same_host])
            if hit:
                return next(k for k in same_host if k.cluster_id == hit)
        wanted = normalise_name(entry.name)
        return first_free(self._by_name.get(wanted, [])) if wanted else None


def unique_cluster_id(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """A new slug id from the name; '-2', '-3', ... when taken."""
    base = slugify(name)
    taken = {r[0] for r in con.execute(query("crawl_registry_ids_like"), [base + "%"]).fetchall()}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


_FACT_COLUMNS = {
    "cluster_id": "string", "name": "string", "alt_names": "list", "bundeslaender": "list",
    "website": "string", "registry_profile_url": "string", "go_cluster": "bool",
    "technologiefelder": "list", "foerdermassnahmen": "list", "last_seen": "timestamp",
}  # fmt: skip
_SIGHTING_COLUMNS = {
    "crawl_run_id": "string", "cluster_id": "string", "seen_at": "timestamp", "name": "string",
    "bundeslaender": "list", "website": "string", "registry_profile_url": "string",
    "technologiefelder": "list", "foerdermassnahmen": "list",
}  # fmt: skip


@contextlib.contextmanager
def _registered(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: list[tuple]
) -> Iterator[None]:
    """``rows`` visible to the next statement as the relation ``name`` (typed Arrow columns:
    an empty list or a None must not leave a column's type to guessing)."""
    import pyarrow as pa  # only the registry's writer needs it here

    types = {
        "string": pa.string(),
        "bool": pa.bool_(),
        "timestamp": pa.timestamp("us"),
        "list": pa.list_(pa.string()),
    }
    arrays = {
        column: pa.array([row[i] for row in rows], types[kind])
        for i, (column, kind) in enumerate(columns.items())
    }
    con.register(name, pa.table(arrays))
    try:
        yield
    finally:
        con.unregister(name)


def upsert_entries(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    entries: list[RegistryRecord],
    seen_at: dt.datetime | None = None,
) -> UpsertCounts:
    """Upsert one batch of entries and append their sightings (call inside a transaction)."""
    seen_at = seen_at or utcnow()
    counts = UpsertCounts()
    matcher = _Matcher(_known_clusters(con))
    claimed = {r[0] for r in con.execute(query("crawl_registry_sighted"), [run_id]).fetchall()}
    facts: list[tuple] = []
    sightings: list[tuple] = []
    for entry in entries:
        match = matcher.match(entry, claimed)
        if match is None:
            cluster_id = unique_cluster_id(con, entry.name)
            con.execute(
                query("crawl_registry_insert_cluster"),
                [
                    cluster_id, entry.name, entry.bundeslaender, entry.website, entry.profile_url,
                    entry.go_cluster, entry.technologiefelder, entry.foerdermassnahmen, "registry",
                    seen_at, seen_at,
                ],
            )  # fmt: skip
            counts.new.append(cluster_id)
            matcher.add(
                _Known(cluster_id, entry.name, [], entry.website, entry.profile_url, "registry",
                       entry.bundeslaender, entry.go_cluster)
            )  # fmt: skip
        else:
            cluster_id = match.cluster_id
            curated = match.origin == "paper"
            name = match.name if curated else entry.name
            alt_names = list(match.alt_names)
            other_name = entry.name if curated else match.name
            if normalise_name(other_name) != normalise_name(name) and other_name not in alt_names:
                alt_names.append(other_name)
            if curated:  # the paper's facts win; the registry only fills gaps
                laender = match.bundeslaender or entry.bundeslaender
                website = match.website or entry.website
                go_cluster = entry.go_cluster if match.go_cluster is None else match.go_cluster
            else:
                laender = entry.bundeslaender or match.bundeslaender
                website = entry.website or match.website
                go_cluster = entry.go_cluster
            facts.append(
                (cluster_id, name, alt_names, laender, website, entry.profile_url, go_cluster,
                 entry.technologiefelder, entry.foerdermassnahmen, seen_at)
            )  # fmt: skip
            (counts.matched_paper if curated else counts.updated).append(cluster_id)
        claimed.add(cluster_id)
        sightings.append(
            (run_id, cluster_id, seen_at, entry.name, entry.bundeslaender, entry.website,
             entry.profile_url, entry.technologiefelder, entry.foerdermassnahmen)
        )  # fmt: skip
    # One statement each for the batch: a statement per entry cost 14-24 ms (issue 17).
    if facts:
        with _registered(con, "new_facts", _FACT_COLUMNS, facts):
            con.execute(query("crawl_registry_update_clusters"))
    if sightings:
        with _registered(con, "new_sightings", _SIGHTING_COLUMNS, sightings):
            con.execute(query("crawl_registry_insert_sightings"))
    return counts


def mark_missing(
    con: duckdb.DuckDBPyConnection, run_id: str, at: dt.datetime | None = None
) -> list[str]:
    """After a COMPLETE registry crawl: clusters the registry listed before but not in this run
    get missing_since (never deleted); returns the ids newly marked."""
    rows = con.execute(query("crawl_registry_mark_missing"), [at or utcnow(), run_id]).fetchall()
    return sorted(r[0] for r in rows)


def add_manual_cluster(
    con: duckdb.DuckDBPyConnection,
    *,
    name: str,
    website: str,
    bundeslaender: list[str],
    at: dt.datetime | None = None,
) -> str:
    """Add an initiative the registry lacks (origin 'manual'); refuses a known website or name."""
    at = at or utcnow()
    known = _known_clusters(con)
    hit = match_website(website, [(k.cluster_id, k.website or "") for k in known])
    if hit:
        raise InputError(f"website {website} is already covered by cluster {hit!r}")
    wanted = normalise_name(name)
    for k in known:
        if wanted in {normalise_name(n) for n in [k.name, *k.alt_names]}:
            raise InputError(f"an initiative named {name!r} already exists: {k.cluster_id!r}")
    cluster_id = unique_cluster_id(con, name)
    con.execute(
        query("crawl_registry_insert_cluster"),
        [cluster_id, name, bundeslaender, website, None, None, [], [], "manual", at, at],
    )
    return cluster_id
