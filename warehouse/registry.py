"""Registry entries into ``clusters`` (upsert, never delete) and ``cluster_sightings`` (append).

Matching, in this order, so a registry entry updates the row it describes instead of adding a
duplicate: the same registry profile URL; the website (``clusterradar.urls.match_website``:
www-insensitive host, longest path prefix for shared hosts); the normalised name (or an
alternative name). A matched paper cluster keeps its id, name, website and Länder (the paper's
curated facts) and gains the registry's profile URL, Technologiefelder and Fördermaßnahmen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import duckdb

from clusterradar.errors import InputError
from clusterradar.urls import match_website, normalise_name, normalise_url, slugify
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


def _match(entry: RegistryRecord, known: list[_Known], claimed: set[str]) -> _Known | None:
    free = [k for k in known if k.cluster_id not in claimed]
    for k in free:
        # Compared as matching keys (scheme-insensitive): stored URLs keep the fetched scheme.
        if k.profile_url and normalise_url(k.profile_url) == normalise_url(entry.profile_url):
            return k
    if entry.website:
        hit = match_website(entry.website, [(k.cluster_id, k.website or "") for k in free])
        if hit:
            return next(k for k in free if k.cluster_id == hit)
    wanted = normalise_name(entry.name)
    for k in free:
        if wanted and wanted in {normalise_name(n) for n in [k.name, *k.alt_names]}:
            return k
    return None


def unique_cluster_id(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """A new slug id from the name; '-2', '-3', ... when taken."""
    base = slugify(name)
    taken = {r[0] for r in con.execute(query("crawl_registry_ids_like"), [base + "%"]).fetchall()}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def upsert_entries(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    entries: list[RegistryRecord],
    seen_at: dt.datetime | None = None,
) -> UpsertCounts:
    """Upsert one batch of entries and append their sightings (call inside a transaction)."""
    seen_at = seen_at or utcnow()
    counts = UpsertCounts()
    known = _known_clusters(con)
    claimed = {r[0] for r in con.execute(query("crawl_registry_sighted"), [run_id]).fetchall()}
    for entry in entries:
        match = _match(entry, known, claimed)
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
            known.append(
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
            con.execute(
                query("crawl_registry_update_cluster"),
                [
                    name,
                    alt_names,
                    laender,
                    website,
                    entry.profile_url,
                    go_cluster,
                    entry.technologiefelder,
                    entry.foerdermassnahmen,
                    seen_at,
                    cluster_id,
                ],
            )  # fmt: skip
            (counts.matched_paper if curated else counts.updated).append(cluster_id)
        claimed.add(cluster_id)
        con.execute(
            query("crawl_registry_insert_sighting"),
            [
                run_id, cluster_id, seen_at, entry.name, entry.bundeslaender, entry.website,
                entry.profile_url, entry.technologiefelder, entry.foerdermassnahmen,
            ],
        )  # fmt: skip
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
