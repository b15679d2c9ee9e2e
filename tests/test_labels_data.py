"""The packaged label files reproduce the paper's Tables 1 and 2."""

from __future__ import annotations

from collections import Counter

from clusterradar.labels import (
    BUNDESLAENDER,
    DIMENSION_KEYS,
    NO_SVI_RELEVANCE,
    load_labelled_clusters,
    load_taxonomy,
    validate_label_files,
)


def test_packaged_label_files_are_valid():
    assert validate_label_files() == []


def test_taxonomy_has_the_four_dimensions_of_table_1_with_fixed_keys():
    taxonomy = load_taxonomy()
    assert taxonomy.dimension_keys() == list(DIMENSION_KEYS)
    assert taxonomy.keys("function_logic") == [
        "protection_defence",
        "supply_maintenance",
        "recovery_robustness",
        "transformation_future",
    ]
    assert len(taxonomy.keys("application_fields")) == 6
    assert len(taxonomy.keys("svi_domains")) == 7
    intensity = taxonomy.dimension("intensity")
    assert intensity.ordinal and not intensity.multi_label
    assert all(taxonomy.dimension(k).multi_label for k in DIMENSION_KEYS[1:])


def test_intensity_levels_carry_the_papers_german_labels_exactly():
    intensity = load_taxonomy().dimension("intensity")
    scale = {c.level: (c.key, c.label_de) for c in intensity.categories if c.paper}
    assert scale == {
        1: ("primarily_security", "Primär sicherheitsorientiert"),
        2: ("svi_dominant_dual_use", "SVI-Dominant mit Dual-Use-Charakter"),
        3: ("balanced_dual_use", "Gleichgewichtige Dual-Use-Technologien"),
        4: ("primarily_civil_security_relevant", "Primär zivil, aber sicherheitsrelevant"),
        5: ("civil_base_technology", "Zivile Basistechnologien mit strategischem Potenzial"),
    }


def test_no_svi_relevance_is_a_valid_outcome_but_not_on_the_papers_scale():
    taxonomy = load_taxonomy()
    outcome = taxonomy.dimension("intensity").category(NO_SVI_RELEVANCE)
    assert outcome.level is None and outcome.paper is False
    assert outcome.label_de == "Keine SVI-Relevanz erkennbar"
    assert NO_SVI_RELEVANCE in taxonomy.keys("intensity")
    assert NO_SVI_RELEVANCE not in taxonomy.keys("intensity", paper_only=True)


def test_category_descriptions_are_the_papers_examples_in_parentheses():
    taxonomy = load_taxonomy()
    protection = taxonomy.dimension("function_logic").category("protection_defence")
    assert protection.label_de == "Schutz und Abwehr"
    assert protection.description == "Cybersecurity, Wehrtechnik, Air- & Space-Defence"
    assert protection.examples == ["Cybersecurity", "Wehrtechnik", "Air- & Space-Defence"]
    domains = taxonomy.dimension("svi_domains")
    assert domains.category("public_safety_civil_protection").examples == [
        "Notfallmanagement",
        "Sensorik",
        "Drohnenabwehr",
    ]
    assert (
        taxonomy.label_de("application_fields", "border_police_kritis_logistics")
        == "Grenzschutz, Polizei, KRITIS und logistische Sicherheit"
    )


def test_table_2_has_33_labelled_clusters_with_the_papers_intensity_counts():
    clusters = load_labelled_clusters()
    assert len(clusters) == 33
    assert Counter(c.intensity for c in clusters) == {
        "primarily_security": 12,
        "balanced_dual_use": 8,
        "primarily_civil_security_relevant": 13,
    }
    assert len({c.id for c in clusters}) == 33
    assert all(set(c.bundeslaender) <= set(BUNDESLAENDER) for c in clusters)
    assert {c.as_of for c in clusters} == {"2026-01"}
    assert all("Tabelle 2" in c.source for c in clusters)


def test_innovationsnetzwerk_sicherheit_is_two_security_networks_with_own_urls():
    by_id = {c.id: c for c in load_labelled_clusters()}
    cyber = by_id["innovationsnetzwerk-sicherheit-cybersecurity"]
    techhub = by_id["innovationsnetzwerk-sicherheit-techhub-svi"]
    assert cyber.intensity == techhub.intensity == "primarily_security"
    assert cyber.website == "https://www.bayern-innovativ.de/leistungen/sicherheit/cybersecurity"
    assert techhub.website == "https://www.bayern-innovativ.de/leistungen/sicherheit/techhub-svi"
    assert "Implementierung im Jahr 2025" in techhub.status_notes


def test_maritimes_cluster_spans_five_laender_and_mv_row_is_no_entry():
    clusters = load_labelled_clusters()
    maritime = next(c for c in clusters if c.id == "maritimes-cluster-norddeutschland")
    assert sorted(maritime.bundeslaender) == sorted(
        ["hamburg", "bremen", "schleswig-holstein", "niedersachsen", "mecklenburg-vorpommern"]
    )
    assert maritime.intensity == "balanced_dual_use" and maritime.go_cluster
    only_mv = [c for c in clusters if c.bundeslaender == ["mecklenburg-vorpommern"]]
    assert only_mv == []


def test_clusters_without_website_and_status_notes_follow_the_table():
    by_id = {c.id: c for c in load_labelled_clusters()}
    assert by_id["ruestungscluster-niedersachsen"].website is None
    assert by_id["ruestungscluster-niedersachsen"].status_notes == ["Implementierung 2025"]
    assert by_id["deftech-oekosystem-berlin"].website is None
    assert by_id["defence-nrw"].status_notes == [
        "In der Implementierung befindlich; Betrieb der Clustermanagement-Organisation "
        "ausgeschrieben (Stand: 26.01.2026)"
    ]
    assert by_id["digital-hub-security-defense"].status_notes == [
        "Gehört zur Digital Hub Initiative des BMWE und BMDS"
    ]
    assert sum(c.website is None for c in by_id.values()) == 2


def test_go_cluster_membership_and_clean_teilbereiche():
    clusters = load_labelled_clusters()
    assert sum(c.go_cluster for c in clusters) == 15
    assert {c.id for c in clusters if c.go_cluster} >= {
        "photonics-bw",
        "silicon-saxony",
        "cyberforum",
    }
    for cluster in clusters:
        text = cluster.teilbereiche
        assert "http" not in text and "\n" not in text and "  " not in text, cluster.id
        assert not any(ch in text for ch in "¹²³⁴⁵⁶⁷⁸⁹⁰^{}"), cluster.id
        assert not text.startswith("Teilbereich"), cluster.id
