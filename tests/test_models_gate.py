"""The no-SVI gate reads SVI signal, not generic website similarity.

Labelled SVI clusters and a civil brewery network share the same website template (navigation,
member list, imprint, "we connect companies and research"): exactly what made the old gate
(similarity to *every* labelled passage) call civil sites SVI. Real pipeline passages and the
offline USE embedder; a handful of short documents, so the module runs in a few seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

TEMPLATE = {
    "nav": "Start. Über uns. Themen. Arbeitsgruppen. Mitglieder. Aktuelles. Kontakt.",
    "members": (
        "Zu den Mitgliedern von {name} gehören Falkenwerk GmbH, Nordlogistik GmbH, "
        "Sterndata AG, Maintechnik e. K. und die Hochschule {city}."
    ),
    "imprint": (
        "Impressum. {name} e. V., eingetragen im Vereinsregister des Amtsgerichts {city}. "
        "Verantwortlich für den Inhalt ist der Vorstand. Haftung für Links ausgeschlossen."
    ),
    "generic": (
        "Wir vernetzen Unternehmen, Hochschulen und Forschungseinrichtungen in {city} "
        "und fördern den Wissenstransfer in der Region."
    ),
}

LABELLED = {
    "wehrtechnik-nord": (
        "Wehrtechnik Nord",
        "Kiel",
        [
            "Zulieferer der Wehrtechnik liefern Komponenten für Fahrzeuge der Bundeswehr.",
            "Die AG Beschaffung berät Mitglieder zu Aufträgen des BAAINBw und zur Rüstung.",
            "Instandsetzung von Kampffahrzeugen und Logistik für Einsätze der Streitkräfte.",
        ],
    ),
    "verteidigung-sued": (
        "Verteidigungsnetzwerk Süd",
        "Augsburg",
        [
            "Unternehmen der Verteidigungsindustrie arbeiten mit Rheinmetall und Hensoldt.",
            "Themen sind Drohnenabwehr, Munition und militärische Kommunikation.",
            "Das Forum Verteidigung bringt Industrie, Bundeswehr und Politik zusammen.",
        ],
    ),
    "cyber-west": (
        "Cyber West",
        "Bochum",
        [
            "Cyberabwehr für Behörden und Betreiber kritischer Infrastrukturen (KRITIS).",
            "Dual-Use-Software: zivile IT-Sicherheitsfirmen arbeiten für die Bundeswehr.",
            "Übungen zur Abwehr von Cyberangriffen mit Polizei und Sicherheitsbehörden.",
        ],
    ),
    "raumfahrt-ost": (
        "Raumfahrt Ost",
        "Dresden",
        [
            "Satelliten für Erdbeobachtung und geschützte Kommunikation der Streitkräfte.",
            "Weltraumlagebild und Resilienz gegen Angriffe auf Satelliten.",
            "Aufklärungssensorik und Raketentechnik für Verteidigungsprojekte.",
        ],
    ),
    "maritim-nordsee": (
        "Maritimes Netzwerk Nordsee",
        "Bremerhaven",
        [
            "Schutz von Häfen, Offshore-Anlagen und Unterseekabeln vor Sabotage.",
            "Marinetechnik und Überwasserschiffe für die Deutsche Marine.",
            "Maritime Sicherheit: Überwachung von Seewegen und Schutz vor Piraterie.",
        ],
    ),
}

# Offline, a labelled cluster's only text is its table row (name + Teilbereiche): short, no
# template. These rows set the low end of the labelled scores, hence the threshold.
TABLE_ROWS = {
    "sicherheit-rhein": "Sicherheitscluster Rhein. Sicherheitsforschung, Katastrophenschutz.",
    "luftfahrt-mitte": "Luftfahrtnetzwerk Mitte. Luftfahrt, unbemannte Systeme und Sensorik.",
}

BREWERY = (
    "Brauereinetzwerk Franken",
    "Bamberg",
    [
        "Brauereien und Mälzereien stärken gemeinsam das fränkische Bierhandwerk.",
        "Die AG Rohstoffe organisiert den Einkauf von Hopfen und Braugerste.",
    ],
)
DEFENCE_SUPPLIER = (
    "Fahrzeugtechnik Hessen",
    "Kassel",
    [
        "Unsere Mitglieder fertigen gepanzerte Fahrzeuge und Ersatzteile für die Bundeswehr.",
        "Wir unterstützen Rüstungsaufträge und die Instandsetzung von Militärfahrzeugen.",
    ],
)


def _documents(key: str, name: str, city: str, topics: list[str]) -> list:
    from clusterradar.pipeline.documents import Document

    base = f"https://{key}.example/"
    pages = [
        (f"{base}{kind}", text.format(name=name, city=city)) for kind, text in TEMPLATE.items()
    ]
    pages += [(f"{base}themen/{i}", text) for i, text in enumerate(topics)]
    return [
        Document(cluster=key, url=url, text=text, html=None, line=i, source="test")
        for i, (url, text) in enumerate(pages, start=1)
    ]


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    """Features of the labelled clusters, the brewery and the defence supplier, plus the texts."""
    from clusterradar.models.cluster_model import ClusterModel, Prototypes
    from clusterradar.models.corpus import embed_passages, load_text_kit, passages_of_documents
    from clusterradar.pipeline.documents import Document
    from clusterradar.settings import load_settings

    settings = load_settings(overrides={"db": tmp_path_factory.mktemp("nodb") / "absent.duckdb"})
    kit = load_text_kit(settings)
    clusters = {**LABELLED, "brewery": BREWERY, "defence-supplier": DEFENCE_SUPPLIER}
    documents = [d for key, (n, c, t) in clusters.items() for d in _documents(key, n, c, t)]
    documents += [
        Document(
            cluster=key, url=None, text=row, html=None, line=0, source="table", page_kind="table"
        )
        for key, row in TABLE_ROWS.items()
    ]
    passages = embed_passages(kit, passages_of_documents(kit, documents))
    model = ClusterModel(Prototypes.build(kit.embedder.encode), kit.term_categories)
    features = {key: model.features(key, passages[key]) for key in passages}
    texts = {key: [p.text for p in passages[key]] for key in passages}
    return features, texts


def _gate(features):
    from clusterradar.models.gate import NoSviGate

    return NoSviGate().fit([features[k] for k in (*LABELLED, *TABLE_ROWS)])


def test_civil_cluster_sharing_the_website_template_gets_no_svi_relevance(setting):
    features, _ = setting
    gate = _gate(features)
    brewery = features["brewery"]
    labelled = np.vstack([features[k].embeddings for k in LABELLED])
    # The setting is the hard one: the brewery's template passages are near-duplicates of
    # labelled passages, so similarity to *all* labelled passages (the old gate) is high.
    all_passage_similarity = np.sort((brewery.embeddings @ labelled.T).max(axis=1))[-3:].mean()
    assert all_passage_similarity > gate.threshold + 0.1
    result = gate.evaluate(brewery)
    assert result.lexicon_strength == 0.0
    assert result.score < gate.threshold
    assert result.probability_none > 0.8


def test_cluster_naming_bundeswehr_and_ruestung_is_not_gated(setting):
    features, _ = setting
    gate = _gate(features)
    result = gate.evaluate(features["defence-supplier"])
    assert result.lexicon_strength > 0.0
    assert result.probability_none < 0.05
    assert result.score > gate.evaluate(features["brewery"]).score + 0.2


def test_text_shared_by_many_labelled_clusters_never_becomes_reference(setting):
    from clusterradar.models.gate import SIGNAL_TOP_K

    features, texts = setting
    gate = _gate(features)
    keys = (*LABELLED, *TABLE_ROWS)
    labelled = [(k, i) for k in keys for i in range(features[k].n_passages)]
    embeddings = np.vstack([features[k].embeddings for k in keys])
    kept = {labelled[int(np.argmax(embeddings @ row))] for row in gate.reference}
    kept_texts = [texts[k][i] for k, i in kept]
    # Navigation, member lists, legal boilerplate and "we connect companies and research"
    # are near-duplicates across all five clusters: never signal.
    for marker in ("Start.", "Zu den Mitgliedern", "Haftung für Links", "Wir vernetzen"):
        assert not any(marker in t for t in kept_texts), marker
    assert any("Bundeswehr" in t or "Rüstung" in t for t in kept_texts)
    per_cluster = {k: sum(1 for owner, _ in kept if owner == k) for k in keys}
    assert all(1 <= n <= SIGNAL_TOP_K for n in per_cluster.values()), per_cluster


def test_threshold_is_the_leave_one_out_percentile_of_labelled_scores(setting):
    from clusterradar.models.gate import THRESHOLD_PERCENTILE, NoSviGate

    features, _ = setting
    gate = _gate(features)
    # Refit without each labelled cluster and score it: the same numbers fit() used.
    loo = []
    keys = (*LABELLED, *TABLE_ROWS)
    for key in keys:
        others = NoSviGate().fit([features[k] for k in keys if k != key])
        loo.append(others.evaluate(features[key]).score)
    assert gate.threshold == pytest.approx(np.percentile(loo, THRESHOLD_PERCENTILE), abs=1e-6)


def test_artefact_round_trip_preserves_gate_results(setting, tmp_path):
    from clusterradar.models.gate import NoSviGate

    features, _ = setting
    gate = _gate(features)
    arrays, params = gate.to_arrays()
    path = tmp_path / "gate.npz"
    np.savez(path, **arrays)
    with np.load(path, allow_pickle=False) as stored:
        loaded = NoSviGate.from_arrays(dict(stored), params)
    for key in ("brewery", "defence-supplier", *LABELLED, *TABLE_ROWS):
        assert loaded.evaluate(features[key]) == gate.evaluate(features[key])


def test_unfitted_gate_refuses_to_score(setting):
    from clusterradar.models.gate import NoSviGate

    features, _ = setting
    with pytest.raises(ValueError, match="not fitted"):
        NoSviGate().evaluate(features["brewery"])


def test_reviewed_civil_clusters_set_threshold_and_scale_once_there_are_enough(setting):
    import dataclasses

    from clusterradar.models.gate import MIN_CIVIL_TO_FIT, NoSviGate

    features, _ = setting
    labelled = [features[k] for k in (*LABELLED, *TABLE_ROWS)]
    civil = [
        dataclasses.replace(features["brewery"], cluster_key=f"civil-{i}")
        for i in range(MIN_CIVIL_TO_FIT)
    ]
    percentile = _gate(features)
    too_few = NoSviGate().fit(labelled, civil[:-1])
    assert too_few.threshold_source == "percentile"
    assert too_few.threshold == pytest.approx(percentile.threshold)

    learnt = NoSviGate().fit(labelled, civil)
    assert learnt.threshold_source == f"reviewed civil clusters (n={MIN_CIVIL_TO_FIT})"
    assert learnt.threshold != pytest.approx(percentile.threshold)
    brewery = learnt.evaluate(features["brewery"])
    supplier = learnt.evaluate(features["defence-supplier"])
    assert brewery.score < learnt.threshold < supplier.score
    assert brewery.probability_none > 0.5 > supplier.probability_none
    # civil clusters are negatives for the threshold only, never reference passages
    assert np.array_equal(learnt.reference, percentile.reference)

    arrays, params = learnt.to_arrays()
    loaded = NoSviGate.from_arrays(arrays, params)
    assert (loaded.threshold_source, loaded.scale) == (learnt.threshold_source, learnt.scale)
    assert loaded.evaluate(features["brewery"]) == brewery


def test_civil_clusters_scoring_above_labelled_ones_leave_the_percentile_rule():
    from clusterradar.models.gate import fit_threshold

    assert fit_threshold(np.array([0.2, 0.3, 0.25]), np.array([0.5, 0.6, 0.55])) is None
    threshold, scale = fit_threshold(np.array([0.6, 0.7, 0.65]), np.array([0.2, 0.3, 0.25]))
    assert 0.3 < threshold < 0.6 and scale > 0
