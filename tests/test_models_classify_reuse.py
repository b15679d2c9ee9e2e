"""classify copies what it need not compute: a cluster whose passages and model are unchanged
gets the earlier run's suggestions (issue 17), a cluster whose website is unreachable this
quarter carries its last suggestion forward with a note (issue 15), and every run stores
both axis scores with their top passages for the review app (issue 18)."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from tests.classify_warehouse import (
    record_site_crawl,
    record_unreachable_crawl,
    run_suggestions,
)

T0 = dt.datetime(2026, 8, 1, 10, 0)
T1 = dt.datetime(2026, 11, 1, 10, 0)
DEFENCE = "defence-nrw"  # crawled fine in Q3
PHOTONICS = "photonics-bw"  # no website crawled: the paper's table text only
# Registry clusters (not labelled, so changing them does not change the training data): the
# model reads their Technologiefelder.
OPTICS, CERAMICS = "optiknetz-test", "keramiknetz-test"
CLUSTERS = [DEFENCE, PHOTONICS, OPTICS, CERAMICS]
CARRIED_NOTE = "Website nicht erreichbar; Vorschlag aus Quartal 2026Q3 übernommen"

pytestmark = pytest.mark.slow


def _settings(path):
    from clusterradar.settings import load_settings

    return load_settings(overrides={"db": path})  # the default embedder, as the CLI uses


def _classify(path, quarter):
    from clusterradar.models.classify import classify_clusters

    return classify_clusters(_settings(path), cluster_ids=CLUSTERS, quarter=quarter, progress=False)


@pytest.fixture(scope="module")
def q3(tmp_path_factory):
    """A warehouse with the paper's labels, defence-nrw's site crawled in Q3 (run r1) and one
    classify run for 2026Q3; returns (path, run id). Tests work on copies of it."""
    from clusterradar.pipeline.run import process_pending
    from clusterradar.warehouse import connect, transaction
    from clusterradar.warehouse.labels_loading import initialise_warehouse

    path = tmp_path_factory.mktemp("reuse") / "warehouse.duckdb"
    initialise_warehouse(path)
    with connect(path) as con, transaction(con):
        record_site_crawl(con, "r1", T0, DEFENCE, "https://defence.nrw/")
        con.execute(
            "INSERT INTO clusters (cluster_id, name, technologiefelder, origin, first_seen, "
            "last_seen) VALUES (?, 'Optiknetz', ['Photonik', 'Lasertechnik'], 'registry', ?, ?), "
            "(?, 'Keramiknetz', ['Technische Keramik'], 'registry', ?, ?)",
            [OPTICS, T0, T0, CERAMICS, T0, T0],
        )
    process_pending(_settings(path), progress=False)
    result = _classify(path, "2026Q3")
    assert result.clusters_reused == 0 and result.clusters_carried_forward == 0
    return path, result.run_id


@pytest.fixture
def warehouse(q3, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(q3[0], path)
    return path


@pytest.fixture
def model_must_not_run(monkeypatch):
    """Any call of the model's scoring fails the test: what is copied is not computed."""
    from clusterradar.models.cluster_model import ClusterModel

    def refuse(self, key, passages, meta=None):
        raise AssertionError(f"{key} was scored again")

    monkeypatch.setattr(ClusterModel, "suggest", refuse)


def _axis_scores(path, run_id):
    from clusterradar.warehouse import connect
    from clusterradar.warehouse.axis_scores import axis_scores_in_run

    with connect(path, read_only=True) as con:
        return axis_scores_in_run(con, run_id, CLUSTERS)


def test_unchanged_rerun_in_a_new_quarter_copies_the_suggestions_instead_of_computing_them(
    q3, warehouse, model_must_not_run
):
    result = _classify(warehouse, "2026Q4")
    assert result.run_id != q3[1]
    assert (result.clusters_reused, result.clusters_carried_forward) == (len(CLUSTERS), 0)
    assert run_suggestions(warehouse, result.run_id) == run_suggestions(warehouse, q3[1])
    axes = _axis_scores(warehouse, result.run_id)
    before = _axis_scores(warehouse, q3[1])
    assert {a.carried_from_run for a in axes.values()} == {q3[1]}
    assert all(a.note is None for a in axes.values())
    for cluster_id in CLUSTERS:
        assert axes[cluster_id].passages_hash == before[cluster_id].passages_hash
        assert axes[cluster_id].technology_potential == before[cluster_id].technology_potential


def test_a_cluster_whose_text_changed_is_scored_again_and_the_unchanged_one_reused(q3, warehouse):
    with duckdb.connect(str(warehouse)) as con:  # the text the model reads of one changes
        con.execute(
            "UPDATE clusters SET technologiefelder = ['Sensorik'] WHERE cluster_id = ?", [OPTICS]
        )
    result = _classify(warehouse, "2026Q4")
    assert result.clusters_reused == len(CLUSTERS) - 1
    axes = _axis_scores(warehouse, result.run_id)
    before = _axis_scores(warehouse, q3[1])
    assert {c for c, a in axes.items() if a.carried_from_run == q3[1]} == set(CLUSTERS) - {OPTICS}
    assert axes[OPTICS].carried_from_run is None
    assert axes[OPTICS].passages_hash != before[OPTICS].passages_hash


def test_unreachable_site_carries_last_quarters_suggestion_forward_with_a_note(
    q3, warehouse, model_must_not_run
):
    with duckdb.connect(str(warehouse)) as con:  # Q4: the site answers 503, nothing to read
        record_unreachable_crawl(con, "r2", T1, DEFENCE, "https://defence.nrw/")
    result = _classify(warehouse, "2026Q4")
    assert (result.clusters_reused, result.clusters_carried_forward) == (len(CLUSTERS) - 1, 1)
    now = [r for r in run_suggestions(warehouse, result.run_id) if r[0] == DEFENCE]
    before = [r for r in run_suggestions(warehouse, q3[1]) if r[0] == DEFENCE]
    assert [r[:5] for r in now] == [r[:5] for r in before]  # the Q3 suggestion, unchanged
    reasons = [reason for r in now for (_, _, _, reason) in r[5] if reason]
    assert reasons and all(reason.endswith("; " + CARRIED_NOTE) for reason in reasons)
    axes = _axis_scores(warehouse, result.run_id)
    assert axes[DEFENCE].note == CARRIED_NOTE
    assert axes[DEFENCE].carried_from_run == q3[1]
    assert all(axes[c].note is None for c in CLUSTERS if c != DEFENCE)


def test_each_run_stores_both_axis_scores_with_the_top_passages_of_each_axis(q3):
    path, run_id = q3
    axes = _axis_scores(path, run_id)
    assert set(axes) == set(CLUSTERS)
    defence = axes[DEFENCE]
    assert 0.0 <= defence.technology_potential <= 1.0
    assert defence.security_orientation > axes[CERAMICS].security_orientation  # civil registry text
    assert defence.relevance == pytest.approx(
        1 - (1 - defence.technology_potential) * (1 - defence.security_orientation)
    )
    assert defence.security_evidence, "a defence cluster's security axis cites its pages"
    assert [e.rank for e in defence.security_evidence] == list(
        range(1, len(defence.security_evidence) + 1)
    )
    assert any((e.snapshot_id or "").startswith("r1-") for e in defence.security_evidence)
    assert all("Sicherheitsausrichtung S=" in e.reason for e in defence.security_evidence)
    with duckdb.connect(str(path), read_only=True) as con:
        top = dict(
            con.execute(
                "SELECT cluster_id, label_key FROM suggestions WHERE run_id = ? "
                "AND dimension = 'intensity' AND rank = 1",
                [run_id],
            ).fetchall()
        )
    assert {c: a.outcome for c, a in axes.items()} == top


def test_classify_reads_the_vectors_of_a_window_of_clusters_at_a_time(
    warehouse, tmp_path, monkeypatch
):
    """Vectors are read for a window of clusters, not per write batch (issue 17): one read for
    both changed clusters with a window of 120, one per cluster with a window of 1, and the
    same suggestions either way."""
    from clusterradar.models import classify, classify_compute
    from clusterradar.warehouse import connect
    from clusterradar.warehouse.suggestions import run_suggestions

    with duckdb.connect(str(warehouse)) as con:  # two clusters must be scored again
        con.execute(
            "UPDATE clusters SET technologiefelder = ['Quantentechnologie'] "
            "WHERE origin = 'registry'"
        )
    batches = []
    embed = classify_compute.embed_passages

    def recording(kit, passages_by_key, db_path=None):
        batches.append(sorted(passages_by_key))
        return embed(kit, passages_by_key, db_path)

    monkeypatch.setattr(classify, "BATCH_CLUSTERS", 1)  # one cluster per write batch
    monkeypatch.setattr(classify_compute, "embed_passages", recording)
    found = {}
    for window in (1, 120):
        copy = tmp_path / f"window-{window}.duckdb"
        shutil.copy(warehouse, copy)
        batches.clear()
        monkeypatch.setattr(classify, "VECTOR_WINDOW_CLUSTERS", window)
        result = _classify(copy, "2026Q4")
        assert result.clusters_reused == len(CLUSTERS) - 2
        assert batches == ([[CERAMICS], [OPTICS]] if window == 1 else [[CERAMICS, OPTICS]])
        with connect(copy, read_only=True) as con:
            found[window] = [
                (cluster_id, dimension, label, score, rank)
                for cluster_id, dimension, label, score, rank in run_suggestions(con, result.run_id)
                if cluster_id in (CERAMICS, OPTICS)
            ]
    # float32 sums may round differently in the 7th digit when the vectors sit elsewhere in
    # memory (aligned differently in a larger read; rounding to 6 digits can still fall on
    # either side): labels and ranks agree exactly, scores to 2e-6
    assert len(found[1]) > 2
    assert [(c, d, lab, r) for c, d, lab, _, r in found[1]] == [
        (c, d, lab, r) for c, d, lab, _, r in found[120]
    ]
    assert [s for *_, s, _ in found[1]] == pytest.approx([s for *_, s, _ in found[120]], abs=2e-6)


def test_classify_command_says_how_many_clusters_it_copied_and_why(warehouse, cli):
    with duckdb.connect(str(warehouse)) as con:
        record_unreachable_crawl(con, "r2", T1, DEFENCE, "https://defence.nrw/")
    args = [a for c in CLUSTERS for a in ("--cluster", c)]
    result = cli("--db", warehouse, "classify", *args, "--quarter", "2026Q4")
    assert result.exit_code == 0, result.stderr
    assert (
        f"copied from earlier runs: {len(CLUSTERS) - 1} clusters unchanged, "
        "1 carried forward (website unreachable)"
    ) in result.stdout


@pytest.fixture
def nothing_may_load(monkeypatch):
    """Training (or loading the artefact), the text kit (spaCy, lexica, embedder) and every
    read of a vector fail the test: an unchanged run must decide from hashes alone."""
    from clusterradar.models import classify_compute
    from clusterradar.warehouse import passages as passages_store

    def refuse(*args, **kwargs):
        raise AssertionError("loaded although nothing changed")

    monkeypatch.setattr(classify_compute, "train_model", refuse)
    monkeypatch.setattr(classify_compute, "load_text_kit", refuse)
    monkeypatch.setattr(classify_compute, "embed_passages", refuse)
    monkeypatch.setattr(passages_store, "cluster_passage_rows", refuse)  # no text is read
    monkeypatch.setattr(passages_store, "cached_embeddings", refuse)


def test_unchanged_rerun_loads_no_model_text_kit_or_vector_and_writes_the_samerun_suggestions(
    q3, warehouse, nothing_may_load
):
    result = _classify(warehouse, "2026Q4")
    assert (result.clusters_reused, result.reused) == (len(CLUSTERS), False)
    assert run_suggestions(warehouse, result.run_id) == run_suggestions(warehouse, q3[1])
    before = _axis_scores(warehouse, q3[1])
    for cluster_id, axes in _axis_scores(warehouse, result.run_id).items():
        assert axes.carried_from_run == q3[1]
        assert axes.passages_hash == before[cluster_id].passages_hash
    again = _classify(warehouse, "2026Q4")  # the same quarter once more: that very run
    assert (again.run_id, again.reused) == (result.run_id, True)


def test_a_newer_model_artefact_for_the_same_training_data_is_used_not_the_runs_one(q3, warehouse):
    with duckdb.connect(str(warehouse)) as con:  # e.g. 'train --force' after the Q3 run
        con.execute(
            "INSERT INTO model_artifacts SELECT * REPLACE (model_version || '-forced' AS "
            "model_version, created_at + INTERVAL 1 HOUR AS created_at) FROM model_artifacts "
            "WHERE model_version = (SELECT model_version FROM classification_runs "
            "WHERE run_id = ?)",
            [q3[1]],
        )
    result = _classify(warehouse, "2026Q4")
    assert result.model_version.endswith("-forced")
    assert result.clusters_reused == 0  # a different model: nothing to copy


def test_the_passage_keys_fingerprint_the_same_passages_as_the_whole_passages(warehouse):
    """The unchanged check reads keys only; they must be the passages classify reads."""
    from clusterradar.models.classify_inputs import inputs_fingerprint
    from clusterradar.pipeline.store import cluster_passage_keys, cluster_passages
    from clusterradar.warehouse import connect

    with connect(warehouse, read_only=True) as con:
        whole, keys = cluster_passages(con, CLUSTERS), cluster_passage_keys(con, CLUSTERS)
    assert whole and {c: len(v) for c, v in keys.items()} == {c: len(v) for c, v in whole.items()}
    for cluster_id, passages in whole.items():
        assert [(p.passage_hash, p.page_kind, p.url, p.earlier_crawl_note) for p in passages] == [
            (k.passage_hash, k.page_kind, k.url, k.earlier_crawl_note) for k in keys[cluster_id]
        ]
    assert inputs_fingerprint({}, [], [], [], keys) == inputs_fingerprint({}, [], [], [], whole)
