"""Only the benchmark's review step: ``python -m benchmarks.review_step [--clusters N]``.

Builds the history the full benchmark's step 6 writes (8 quarters of suggestions and reviewed
versions for every cluster and dimension, :func:`benchmarks.aged.write_history`) for N
initiatives added by hand instead of crawled, then times the real review app as step 7 does
(:func:`benchmarks.aged.time_review_app`: the queue page, cluster pages, and a reviewer's round
of decisions with the queue page read after each). Prints one JSON object; seconds instead of the
full benchmark's tens of minutes, for work on the review app alone (issue 17).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from benchmarks import aged
from clusterradar.quarters import current_quarter
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.labels_loading import initialise_warehouse
from clusterradar.warehouse.registry import add_manual_cluster

LANDS = ("bayern", "baden-wuerttemberg", "berlin", "hessen", "sachsen", "bremen")


def build(db: Path, clusters: int) -> tuple[list[str], dict]:
    """A warehouse with `clusters` initiatives and 8 quarters of history; their ids and counts."""
    initialise_warehouse(db)
    with connect(db) as con, transaction(con):
        ids = [
            add_manual_cluster(
                con,
                name=f"Initiative {i:04d}",
                website=f"https://initiative-{i:04d}.example/",
                bundeslaender=[LANDS[i % len(LANDS)]],
            )
            for i in range(clusters)
        ]
    history = aged.write_history(db, ids, aged.history_quarters(current_quarter(), 8))
    return ids, history


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"error: {message} (see python -m benchmarks.review_step --help)\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m benchmarks.review_step", description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=450, help="initiatives (450)")
    parser.add_argument("--requests", type=int, default=40, help="requests per page (40)")
    parser.add_argument(
        "--decisions",
        type=int,
        default=aged.DECISIONS,
        help=f"accepts in the reviewer's round, each followed by the queue page ({aged.DECISIONS})",
    )
    args = parser.parse_args(argv)
    if args.clusters < 1 or args.requests < 1 or args.decisions < 1:
        parser.error("--clusters, --requests and --decisions must be at least 1")
    with tempfile.TemporaryDirectory(prefix="review-step-") as folder:
        db = Path(folder) / "warehouse.duckdb"
        ids, history = build(db, args.clusters)
        review = aged.time_review_app(db, ids, args.requests, args.decisions)
    result = {"history": history, "review": review, "load_average": os.getloadavg()}
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
