"""Measure the pipeline's speed per stage: ``python -m clusterradar.pipeline.bench [FOLDER]``.

Extraction, passage splitting + lexicon matching, and every embedding backend named with
``--model`` (default: both offline backends), over the ``*.html`` files under FOLDER (default:
the test fixtures). Prints one line per stage; nothing is written.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from clusterradar.pipeline.embed import MINILM_NAME, USE_NAME, get_embedder
from clusterradar.pipeline.extract import extract_page
from clusterradar.pipeline.lexicon import LexiconMatcher
from clusterradar.pipeline.nlp import describe_nlp, load_nlp
from clusterradar.pipeline.store import score_text

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pipeline"


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "n/a"


def run(folder: Path, models: list[str], repeat: int, passages: int) -> None:
    files = sorted(folder.rglob("*.html"))
    if not files:
        raise SystemExit(f"no *.html files under {folder}")
    bodies = [f.read_bytes() for f in files] * repeat
    started = time.perf_counter()
    pages = [extract_page(body, "https://bench.example/", "text/html") for body in bodies]
    seconds = time.perf_counter() - started
    print(f"extract      {len(pages):6d} pages     {seconds:6.2f}s  {_rate(len(pages), seconds)}")

    nlp = load_nlp()
    matcher = LexiconMatcher(nlp)
    started = time.perf_counter()
    scored = [s for page in pages for s in score_text(page.text, nlp, matcher)]
    seconds = time.perf_counter() - started
    print(
        f"passages     {len(pages):6d} pages     {seconds:6.2f}s  {_rate(len(pages), seconds)}"
        f"  ({len(scored)} passages, {describe_nlp(nlp)})"
    )
    unique = list(dict.fromkeys(s.text for s in scored)) or ["Leer."]
    texts = [f"{unique[i % len(unique)]} ({i})" for i in range(passages)]
    mean_chars = sum(map(len, texts)) / len(texts)
    for name in models:
        started = time.perf_counter()
        embedder = get_embedder(name)
        embedder.encode(["warm-up"])
        load = time.perf_counter() - started
        started = time.perf_counter()
        embedder.encode(texts)
        seconds = time.perf_counter() - started
        print(
            f"embed        {len(texts):6d} passages  {seconds:6.2f}s  {_rate(len(texts), seconds)}"
            f"  ({embedder.model_id}, dim {embedder.dimension}, load {load:.1f}s,"
            f" {mean_chars:.0f} chars/passage)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--model", action="append", dest="models")
    parser.add_argument("--repeat", type=int, default=10, help="extract each page this often")
    parser.add_argument("--passages", type=int, default=400, help="passages per embedding run")
    args = parser.parse_args(argv)
    run(args.folder, args.models or [USE_NAME, MINILM_NAME], args.repeat, args.passages)


if __name__ == "__main__":
    main()
