"""Extraction and passages + lexicon against bare trafilatura and spaCy, interleaved.

``python -m benchmarks.pipeline_steps [--clusters N] [--pages M] [--rounds R] [--keep DIR]``

Crawls a synthetic web once (:mod:`benchmarks.synthweb`, the registry and the sites as a
quarter does), then measures, R rounds, each run in a fresh process on a fresh copy of the
crawled warehouse: our two steps as a quarter runs them (``extract_pending``, then
``split_pending``: imports, spaCy loading, lexicon matcher, warehouse reads and writes
included), and the bare library calls of :mod:`benchmarks.bare` on the same pages in memory
(trafilatura warm, spaCy loaded). Rounds alternate the order (ours, bare / bare, ours) and each
line carries the 1-minute load average, because the development box is shared. Prints one
JSON line per run and, last, the best-of-R ratios (throughput ours / bare).

Before/after comparisons of two commits run this module with ``PYTHONPATH`` pointing at an
unpacked ``git archive`` of each (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def build(folder: Path, clusters: int, pages: int) -> Path:
    """The crawled warehouse of a synthetic web in `folder` (reused when it is there)."""
    from benchmarks.child import bench_settings
    from benchmarks.synthweb import write_synthetic_web
    from clusterradar.crawler.localweb import LocalWeb
    from clusterradar.crawler.runner import crawl_registry, crawl_sites
    from clusterradar.demo.sampleweb import PORTAL
    from clusterradar.quarters import current_quarter
    from clusterradar.warehouse.labels_loading import initialise_warehouse

    db = folder / "crawled.duckdb"
    if db.exists():
        return db
    web = write_synthetic_web(folder / "web", clusters, pages, probes=1)
    initialise_warehouse(db)
    quarter = str(current_quarter().previous())
    with LocalWeb(web.sites) as local:
        settings = bench_settings(db, local.url(PORTAL) + web.start_path, pages)
        crawl_registry(settings, quarter=quarter, allow_private=True, progress=False)
        crawl_sites(settings, allow_private=True, quarter=quarter, progress=False)
    return db


def ours(crawled: Path, work: Path) -> dict[str, Any]:
    """Our extraction and passages steps on a copy of `crawled`."""
    db = work / "ours.duckdb"
    shutil.copy(crawled, db)
    from clusterradar.pipeline.run import PipelineStats, _Steps, extract_pending, split_pending
    from clusterradar.settings import Settings

    settings, stats = Settings(db=db), PipelineStats()
    found: dict[str, Any] = {}
    for name, step in (("extract", extract_pending), ("passages", split_pending)):
        started = time.perf_counter()
        step(db, settings, None, _Steps(False), stats)
        found[f"{name}_s"] = round(time.perf_counter() - started, 3)
    found.update(pages=stats.pages_extracted, passages=stats.passages_written)
    return found


def bare(crawled: Path) -> dict[str, Any]:
    """trafilatura.extract and spaCy nlp.pipe on the crawled pages, in memory, warm."""
    import duckdb

    from benchmarks.bare import bare_extraction, bare_spacy
    from clusterradar.pipeline.extract import decode_body
    from clusterradar.settings import Settings

    with duckdb.connect(str(crawled), read_only=True) as con:
        bodies = con.execute(
            "SELECT b.body FROM page_snapshots s JOIN page_bodies b USING (content_hash) "
            "WHERE s.unchanged_of IS NULL ORDER BY s.url"
        ).fetchall()
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i, (body,) in enumerate(bodies):
            files.append(Path(folder) / f"{i}.html")
            files[-1].write_text(decode_body(body, "text/html"), encoding="utf-8")
        extract_s, texts = bare_extraction(files)
    spacy_s, _ = bare_spacy(texts, Settings())
    return {"extract_s": round(extract_s, 3), "passages_s": round(spacy_s, 3), "pages": len(files)}


def _child(kind: str, crawled: Path, work: Path) -> dict[str, Any]:
    load = os.getloadavg()[0]
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.pipeline_steps",
            "--child",
            kind,
            str(crawled),
            str(work),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise SystemExit(f"error: {kind} run failed: {finished.stderr.strip()[-300:]}")
    return {"kind": kind, "load": round(load, 2), **json.loads(finished.stdout.splitlines()[-1])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline_steps")
    parser.add_argument("--clusters", type=int, default=60)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the crawled web here")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, crawled, work = args.child[0], Path(args.child[1]), Path(args.child[2])
        result = ours(crawled, work) if kind == "ours" else bare(crawled)
        print(json.dumps(result))
        return 0
    if args.clusters < 1 or args.pages < 2 or args.rounds < 1:
        parser.exit(2, "error: --clusters >= 1, --pages >= 2, --rounds >= 1\n")
    with tempfile.TemporaryDirectory(prefix="clusterradar-steps-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        crawled = build(folder, args.clusters, args.pages)
        runs = []
        for round_no in range(args.rounds):
            for kind in ("ours", "bare") if round_no % 2 == 0 else ("bare", "ours"):
                runs.append(_child(kind, crawled, Path(scratch)))
                print(json.dumps(runs[-1]), flush=True)
    best = {
        (kind, step): min(r[f"{step}_s"] for r in runs if r["kind"] == kind)
        for kind in ("ours", "bare")
        for step in ("extract", "passages")
    }
    print(
        json.dumps(
            {
                f"{step}_ratio": round(best["bare", step] / best["ours", step], 3)
                for step in ("extract", "passages")
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
