"""Item pipeline: where crawl results go (the warehouse), in short all-or-nothing transactions.

A finished site (:class:`SiteResult`) is written at once in one transaction: its new bodies,
all its snapshots and its outcome, so an interruption never leaves half a site. Registry entries
are upserted in batches of ``REGISTRY_BATCH``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clusterradar.crawler.registry import RegistryEntry
from clusterradar.warehouse.crawls import SiteResult, write_site
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.registry import UpsertCounts, upsert_entries

REGISTRY_BATCH = 25


class WarehouseWriter:
    """Writes SiteResult and RegistryEntry items of one crawl run."""

    def __init__(self, db: Path, run_id: str, lock_timeout: float):
        self.db = db
        self.run_id = run_id
        self.lock_timeout = lock_timeout
        self.pending_entries: list[RegistryEntry] = []
        self.counts = UpsertCounts()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        writer = cls(
            Path(settings.get("CLUSTERRADAR_DB")),
            settings.get("CLUSTERRADAR_RUN_ID"),
            settings.getfloat("CLUSTERRADAR_LOCK_TIMEOUT", 30.0),
        )
        crawler.clusterradar_writer = writer
        return writer

    def process_item(self, item: Any, spider=None) -> Any:
        if isinstance(item, SiteResult):
            self.write_site(item)
        elif isinstance(item, RegistryEntry):
            self.pending_entries.append(item)
            if len(self.pending_entries) >= REGISTRY_BATCH:
                self.flush_entries()
        return item

    def write_site(self, result: SiteResult) -> None:
        from clusterradar.crawler.spiders import emit

        with connect(self.db, timeout=self.lock_timeout) as con, transaction(con):
            write_site(con, self.run_id, result)
        emit(
            {
                "event": "site",
                "cluster_id": result.cluster_id,
                "outcome": result.outcome,
                "pages": result.pages,
                "detail": result.detail,
            }
        )
        for snapshot in result.snapshots:
            snapshot.body = None  # written; free the memory

    def flush_entries(self) -> None:
        if not self.pending_entries:
            return
        with connect(self.db, timeout=self.lock_timeout) as con, transaction(con):
            self.counts.add(upsert_entries(con, self.run_id, self.pending_entries))
        self.pending_entries = []

    def close_spider(self, spider=None) -> None:
        self.flush_entries()
