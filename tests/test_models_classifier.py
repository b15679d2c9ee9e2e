"""The classifier on realistic website-like documents: ordering, the no-SVI gate, evidence,
determinism and artefacts. Uses the offline USE embedder; the model is trained once per module
on the paper's table text (packaged label files, no warehouse)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import FIXTURES

MODEL_FIXTURES = FIXTURES / "models"


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    from clusterradar.settings import load_settings

    # No warehouse file: labels and table text come from the packaged label files.
    missing_db = tmp_path_factory.mktemp("nodb") / "absent.duckdb"
    return load_settings(overrides={"db": missing_db})


@pytest.fixture(scope="module")
def trained(settings):
    from clusterradar.models.train import train_model

    return train_model(settings)


@pytest.fixture(scope="module")
def kit(settings):
    from clusterradar.models.corpus import load_text_kit

    return load_text_kit(settings)


def _write_documents(path: Path, pages: list[tuple[str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for cluster, url, text in pages:
            handle.write(
                json.dumps({"cluster": cluster, "url": url, "text": text}, ensure_ascii=False)
                + "\n"
            )
    return path


def _suggest(settings, trained, kit, documents_path: Path, names: dict[str, str] | None = None):
    """Suggestions per cluster of the file; `names` are registry names (else unknown)."""
    from clusterradar.models.corpus import embed_passages, passages_of_documents
    from clusterradar.models.features import ClusterMeta
    from clusterradar.pipeline.documents import read_documents

    documents = read_documents(documents_path)
    passages = embed_passages(kit, passages_of_documents(kit, documents))
    names = names or {}
    return {
        key: trained.model.suggest(key, ps, ClusterMeta(names[key]) if key in names else None)
        for key, ps in passages.items()
    }, documents


BUNDESWEHR_PAGES = [
    (
        "ruestung-sued",
        "https://ruestung-sued.example/",
        "Das Netzwerk Wehrtechnik Süd verbindet Zulieferer der Verteidigungsindustrie "
        "mit der Bundeswehr. "
        "Wir beraten Mittelständler zur Beschaffung durch das BAAINBw und zu Rüstungsaufträgen.",
    ),
    (
        "ruestung-sued",
        "https://ruestung-sued.example/themen",
        "Themen sind gepanzerte Fahrzeuge, Munition, Drohnenabwehr und militärische "
        "Kommunikationssysteme. "
        "Mitglieder liefern Komponenten an Rheinmetall, Hensoldt und KNDS und arbeiten "
        "mit den Streitkräften.",
    ),
]
FOOD_LOGISTICS_PAGES = [
    (
        "frische-logistik",
        "https://frische-logistik.example/",
        "Das Netzwerk Frischelogistik verbindet Speditionen, Kühlhäuser und "
        "Supermarktketten. Wir optimieren "
        "die Kühlkette für Obst, Gemüse und Molkereiprodukte vom Erzeuger bis in den Laden.",
    ),
    (
        "frische-logistik",
        "https://frische-logistik.example/themen",
        "Lebensmittelsicherheit und pünktliche Touren stehen im Mittelpunkt. "
        "Unsere Arbeitsgruppe testet "
        "elektrische Kühltransporter und Lastenräder für die letzte Meile in der Innenstadt.",
    ),
]


def test_bundeswehr_procurement_cluster_is_more_security_oriented_than_food_logistics(
    settings, trained, kit, tmp_path
):
    path = _write_documents(tmp_path / "docs.jsonl", BUNDESWEHR_PAGES + FOOD_LOGISTICS_PAGES)
    registry_names = {
        "ruestung-sued": "Netzwerk Wehrtechnik Süd",
        "frische-logistik": "Netzwerk Frischelogistik",
    }
    results, _ = _suggest(settings, trained, kit, path, registry_names)
    defence, food = results["ruestung-sued"], results["frische-logistik"]
    assert defence.orientation < food.orientation
    assert defence.top("intensity").label_key == "primarily_security"
    # Without a registry name (predict --allow-unknown) the ordering still holds; the level
    # itself then rests on the pages alone (see docs/decisions/0002-profile-features.md).
    nameless, _ = _suggest(settings, trained, kit, path)
    assert nameless["ruestung-sued"].orientation < nameless["frische-logistik"].orientation
    assert food.top("intensity").label_key == "no_svi_relevance"
    assert defence.gate_score > food.gate_score


def test_clearly_civil_clusters_get_no_svi_relevance(settings, trained, kit):
    results, _ = _suggest(settings, trained, kit, MODEL_FIXTURES / "civil_documents.jsonl")
    tops = {key: r.top("intensity").label_key for key, r in results.items()}
    for key in ("lebensmittel-cluster-nord", "holzcluster-schwarzwald", "tourismusnetzwerk-ostsee"):
        assert tops[key] == "no_svi_relevance", (key, tops[key])


def test_evidence_passages_are_real_passages_of_the_input(settings, trained, kit, tmp_path):
    path = _write_documents(tmp_path / "docs.jsonl", BUNDESWEHR_PAGES)
    results, documents = _suggest(settings, trained, kit, path)
    texts = [d.text for d in documents]
    urls = {d.url for d in documents}
    suggestions = results["ruestung-sued"].suggestions
    assert {s.dimension for s in suggestions} == {
        "intensity",
        "function_logic",
        "application_fields",
        "svi_domains",
    }
    for suggestion in suggestions:
        assert suggestion.evidence, suggestion
        for evidence in suggestion.evidence:
            assert any(evidence.passage in text for text in texts)
            assert evidence.url in urls
            assert any(
                word in evidence.reason
                for word in (
                    "Ähnlichkeit",
                    "Lexikon",
                    "Technologiepotenzial",
                    "Sicherheitsausrichtung",
                )
            ), evidence.reason
    top = results["ruestung-sued"].top("intensity")
    assert any("Sicherheitsausrichtung S=" in e.reason for e in top.evidence)


def test_every_suggestion_has_a_score_in_unit_interval_and_ranks_from_one(
    settings, trained, kit, tmp_path
):
    path = _write_documents(tmp_path / "docs.jsonl", FOOD_LOGISTICS_PAGES)
    results, _ = _suggest(settings, trained, kit, path)
    by_dimension: dict[str, list[int]] = {}
    for s in results["frische-logistik"].suggestions:
        assert 0.0 <= s.score <= 1.0
        by_dimension.setdefault(s.dimension, []).append(s.rank)
    for ranks in by_dimension.values():
        assert sorted(ranks) == list(range(1, len(ranks) + 1))
    intensity = [
        s.label_key for s in results["frische-logistik"].suggestions if s.dimension == "intensity"
    ]
    assert set(intensity) == {
        "primarily_security",
        "svi_dominant_dual_use",
        "balanced_dual_use",
        "primarily_civil_security_relevant",
        "civil_base_technology",
        "no_svi_relevance",
    }


def test_training_with_the_same_seed_gives_identical_scores(settings, trained, kit, tmp_path):
    from clusterradar.models.train import train_model

    again = train_model(settings)
    path = _write_documents(tmp_path / "docs.jsonl", BUNDESWEHR_PAGES)
    first, _ = _suggest(settings, trained, kit, path)
    second, _ = _suggest(settings, again, kit, path)
    a = [(s.dimension, s.label_key, s.score) for s in first["ruestung-sued"].suggestions]
    b = [(s.dimension, s.label_key, s.score) for s in second["ruestung-sued"].suggestions]
    assert a == b
    assert trained.training_data_hash == again.training_data_hash


def test_artefact_round_trip_without_pickle_keeps_every_score(settings, trained, kit, tmp_path):
    from clusterradar.models.cluster_model import ClusterModel
    from clusterradar.models.model_artifacts import pack_arrays, unpack_arrays

    arrays, params = trained.model.to_arrays()
    blob = pack_arrays(arrays)
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:  # must not need pickle
        assert set(data.files) == set(arrays)
    restored = ClusterModel.from_arrays(unpack_arrays(blob), json.loads(json.dumps(params)))
    path = _write_documents(tmp_path / "docs.jsonl", FOOD_LOGISTICS_PAGES)
    original, _ = _suggest(settings, trained, kit, path)
    from clusterradar.models.corpus import embed_passages, passages_of_documents
    from clusterradar.pipeline.documents import read_documents

    passages = embed_passages(kit, passages_of_documents(kit, read_documents(path)))
    again = restored.suggest("frische-logistik", passages["frische-logistik"])
    assert [s.score for s in again.suggestions] == pytest.approx(
        [s.score for s in original["frische-logistik"].suggestions]
    )


def test_reviewed_thematic_labels_become_a_prototype_and_fit_the_sigmoid_centre():
    from clusterradar.models.features import ClusterFeatures
    from clusterradar.models.prototypes import Prototype
    from clusterradar.models.thematic import ThematicScorer

    rng = np.random.default_rng(1)
    maritime_axis = rng.normal(size=16)

    def unit(v):
        return (v / np.linalg.norm(v)).astype(np.float32)

    def feature(key, vector):
        vector = unit(vector)
        return ClusterFeatures(
            key, 1, vector, vector, np.ones(1), np.zeros(5), np.zeros(11), 0.0, 0.0, vector[None, :]
        )

    protos = {
        "application_fields": [
            Prototype(
                "application_fields",
                "maritime_security",
                "Maritim",
                None,
                [],
                unit(rng.normal(size=16)),
            ),
            Prototype(
                "application_fields", "cybersecurity", "Cyber", None, [], unit(rng.normal(size=16))
            ),
        ]
    }
    ships = [feature(f"ship{i}", maritime_axis + 0.2 * rng.normal(size=16)) for i in range(4)]
    others = [feature(f"other{i}", rng.normal(size=16)) for i in range(4)]
    reviewed = {"application_fields": {f.cluster_key: ["maritime_security"] for f in ships}}
    reviewed["application_fields"].update({f.cluster_key: ["cybersecurity"] for f in others})
    scorer = ThematicScorer(prototypes=protos).fit(ships + others, reviewed)
    assert "maritime_security" in scorer.reviewed_vectors
    new_ship = feature("new", maritime_axis + 0.2 * rng.normal(size=16))
    assert scorer.scores("application_fields", new_ship)["maritime_security"] > 0.5
    assert scorer.scores("application_fields", others[0])["maritime_security"] < 0.5


def test_profile_marks_networks_named_for_security_and_go_cluster_members():
    from clusterradar.models.features import (
        LEXICON_CATEGORIES,
        PROFILE_NAMES,
        ClusterMeta,
        profile_vector,
    )

    class Page:
        def __init__(self, text: str):
            self.text = text

    lexicon = np.zeros(len(LEXICON_CATEGORIES))
    lexicon[LEXICON_CATEGORIES.index("cyber")] = 0.5
    plain = [Page("Wir verbinden Unternehmen der Optik und Photonik.")]
    named = profile_vector(ClusterMeta("Rüstungscluster Niedersachsen"), plain, lexicon)
    optics = profile_vector(ClusterMeta("Optence e. V."), plain, lexicon)
    member_page = [Page("Das Netzwerk ist Mitglied im Programm go-cluster des BMWK.")]
    by_page = profile_vector(ClusterMeta("Optence e. V."), member_page, lexicon)
    by_registry = profile_vector(ClusterMeta("Optence e. V.", go_cluster=True), plain, lexicon)
    unknown = profile_vector(None, plain, lexicon)

    assert len(named) == len(PROFILE_NAMES)
    assert (named[0], named[1]) == (1.0, 0.0)
    assert (optics[0], optics[1]) == (0.0, 0.0)
    assert by_page[1] == 1.0 and by_registry[1] == 1.0
    assert unknown[0] == 0.0
    assert named[2 + LEXICON_CATEGORIES.index("cyber")] == pytest.approx(0.5)


def test_profile_head_puts_dedicated_networks_on_level_one_and_plain_members_on_four():
    from clusterradar.models.features import LEXICON_CATEGORIES, ClusterFeatures
    from clusterradar.models.intensity import IntensityConfig, IntensityModel

    rng = np.random.default_rng(2)
    cyber = 2 + LEXICON_CATEGORIES.index("cyber")

    def feature(key: str, dedicated: float, go: float, cyber_density: float) -> ClusterFeatures:
        focus = rng.normal(size=8)
        focus = (focus / np.linalg.norm(focus)).astype(np.float32)
        profile = np.zeros(2 + len(LEXICON_CATEGORIES), dtype=np.float32)
        profile[0], profile[1], profile[cyber] = dedicated, go, cyber_density
        return ClusterFeatures(
            key, 1, focus, focus, np.ones(1), np.full(5, 0.2), np.zeros(11), 0.0, 0.0,
            focus[None, :], profile,
        )  # fmt: skip

    train = (
        [feature(f"dedicated{i}", 1, 0, 0.5) for i in range(4)]
        + [feature(f"cyber-member{i}", 0, 1, 1.0) for i in range(4)]
        + [feature(f"optics-member{i}", 0, 1, 0.0) for i in range(4)]
    )
    levels = [1] * 4 + [3] * 4 + [4] * 4
    for kind in ("profile", "profile_embedding"):
        model = IntensityModel(IntensityConfig(kind=kind)).fit(train, levels)
        assert model.predict([feature("new-hub", 1, 0, 0.5)]) == [1], kind
        assert model.predict([feature("new-optics", 0, 1, 0.0)]) == [4], kind
    no_profile = ClusterFeatures(
        "x", 1, train[0].focus, train[0].focus, np.ones(1), np.full(5, 0.2), np.zeros(11),
        0.0, 0.0, train[0].focus[None, :],
    )  # fmt: skip
    with pytest.raises(ValueError, match="no profile"):
        model.predict([no_profile])


def test_a_registry_name_dedicated_to_defence_moves_the_same_pages_towards_level_one(
    settings, trained, kit, tmp_path
):
    from clusterradar.models.corpus import embed_passages, passages_of_documents
    from clusterradar.models.features import ClusterMeta
    from clusterradar.pipeline.documents import read_documents

    pages = [
        (
            "sensor-nord",
            "https://sensor-nord.example/",
            "Das Netzwerk verbindet Hersteller von Radarsensorik, Bildverarbeitung und "
            "Drohnen in Norddeutschland. Wir organisieren Projekte mit Hochschulen.",
        )
    ]
    path = _write_documents(tmp_path / "docs.jsonl", pages)
    passages = embed_passages(kit, passages_of_documents(kit, read_documents(path)))["sensor-nord"]
    defence = trained.model.suggest(
        "sensor-nord", passages, ClusterMeta("Defence-Netzwerk Nord", go_cluster=False)
    )
    civil = trained.model.suggest(
        "sensor-nord", passages, ClusterMeta("Sensorik Nord e. V.", go_cluster=True)
    )
    assert defence.expected_level < civil.expected_level
    assert trained.version.startswith("axes-")
