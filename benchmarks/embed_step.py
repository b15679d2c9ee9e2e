"""The pipeline's embedding step alone, with vector writes batched (today: whatever the writer
thread finds queued, up to ``_WRITE_ROWS``) or one transaction per encoded chunk.

``python -m benchmarks.embed_step WAREHOUSE {batched,per-batch}``

Run it on copies of a crawled and processed warehouse whose vectors were deleted
(``DELETE FROM embeddings``), e.g. the one ``python -m benchmarks --keep DIR`` leaves, with
``CLUSTERRADAR_CACHE_DIR`` pointing at that run's piece table so both variants start equal.
Prints the step's seconds and the passages embedded.
"""

from __future__ import annotations

import sys
import time

import clusterradar.pipeline.embed as embed
from clusterradar.pipeline.run import process_pending
from clusterradar.settings import load_settings


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in ("batched", "per-batch"):
        print(
            "usage: python -m benchmarks.embed_step WAREHOUSE {batched,per-batch}", file=sys.stderr
        )
        return 2
    db, mode = argv
    if mode == "per-batch":
        embed._WRITE_ROWS = 1  # a write takes one queued chunk, never more
    started = time.perf_counter()
    stats = process_pending(load_settings(overrides={"db": db}), progress=False)
    seconds = stats.seconds.get("embeddings")
    print(
        f"{mode}: embeddings step {seconds} s for {stats.passages_embedded} passages "
        f"(process_pending {time.perf_counter() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
