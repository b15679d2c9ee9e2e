"""The technology lexicon (labels/data/technology_lexicon.yaml): loads with the pipeline's loader,
covers every technology category, finds the technology in enabler-cluster sentences and stays
silent on the civil homonyms (wine sensory panels, opticians, bees, pottery, site navigation)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from clusterradar.pipeline.lexicon import LexiconMatcher, load_lexicon
from clusterradar.pipeline.nlp import load_nlp

LEXICON_PATH = Path(__file__).resolve().parents[1] / "labels" / "data" / "technology_lexicon.yaml"

CATEGORIES = {
    "cyber_security",
    "microelectronics",
    "sensors",
    "photonics",
    "embedded_systems",
    "aerospace",
    "space",
    "maritime",
    "navigation_geo",
    "materials",
    "telecommunications",
    "quantum",
    "artificial_intelligence",
    "robotics_unmanned",
}


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon(LEXICON_PATH)


@pytest.fixture(scope="module")
def matcher(lexicon):
    return LexiconMatcher(load_nlp(), lexicon)


def _categories(matcher, text: str) -> set[str]:
    return {hit.category for hit in matcher.match(text)}


def test_technology_lexicon_loads_with_the_pipeline_loader(lexicon):
    assert lexicon.source.endswith("technology_lexicon.yaml")
    assert 180 <= len(lexicon.terms) <= 260
    assert {t.language for t in lexicon.terms} >= {"de", "en"}
    # The axes look terms up by their lower-cased name: no two terms may collide there.
    assert len({t.term.lower() for t in lexicon.terms}) == len(lexicon.terms)


def test_technology_lexicon_ships_with_the_package():
    packaged = resources.files("clusterradar.labels").joinpath("data", "technology_lexicon.yaml")
    assert packaged.is_file()
    assert load_lexicon(Path(str(packaged))).content_hash == load_lexicon(LEXICON_PATH).content_hash


def test_every_technology_category_is_declared_and_has_terms(lexicon):
    assert set(lexicon.categories) == CATEGORIES
    per_category = {key: [t for t in lexicon.terms if t.category == key] for key in CATEGORIES}
    assert {key for key, terms in per_category.items() if len(terms) < 5} == set()
    # Each category has terms that count on their own, not only context words (≤ 0.4).
    assert {
        key for key, terms in per_category.items() if max(t.weight for t in terms) < 0.6
    } == set()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Wir entwickeln Halbleiterbauelemente und Lasersysteme",
            {"microelectronics", "photonics"},
        ),
        (
            "Unsere Mitglieder fertigen Faserverbundbauteile für Verkehrsflugzeuge",
            {"materials", "aerospace"},
        ),
        ("Hochleistungskeramiken für die Luft- und Raumfahrt", {"materials", "aerospace"}),
        ("Bauteile aus technischen Keramiken und Leichtbau", {"materials"}),
        ("Industriekeramik, keramische Membranen und Siliziumnitrid", {"materials"}),
        ("Keramikbauteile, Borcarbid und Faserkeramik für hohe Temperaturen", {"materials"}),
        ("Infrarotsensoren, Drucksensoren und Radarsysteme", {"sensors"}),
        ("Kleinsatelliten für die satellitengestützte Erdbeobachtung", {"space"}),
        ("Satellitennavigation, GNSS-Empfänger und Inertialnavigation", {"navigation_geo"}),
        ("Geoinformationssysteme und Fernerkundung", {"navigation_geo"}),
        ("Sicherheitskritische eingebettete Systeme und FPGA-Entwicklung", {"embedded_systems"}),
        ("Kryptographie und Angriffserkennung für die IT-Sicherheit", {"cyber_security"}),
        ("Optoelektronik, Präzisionsoptik und Photonik", {"photonics"}),
        ("Sonar, Hydroakustik und autonome Unterwasserfahrzeuge", {"maritime"}),
        ("Satellitenkommunikation und Hochfrequenztechnik", {"telecommunications"}),
        ("Quantencomputer und Quantensensorik", {"quantum"}),
        ("KI-gestützte Bildauswertung mit maschinellem Lernen", {"artificial_intelligence"}),
        (
            "Agrardrohnen, Multikopter und unbemannte Luftfahrzeuge",
            {"robotics_unmanned"},
        ),
        ("Hyperschall-Forschung und Triebwerke", {"aerospace"}),
        (
            "Our members work on semiconductor devices, photonics and cybersecurity",
            {"microelectronics", "photonics", "cyber_security"},
        ),
    ],
)
def test_enabler_technology_sentence_matches_its_categories(matcher, text, expected):
    assert _categories(matcher, text) == expected


def test_compound_hits_point_at_the_whole_compound(matcher):
    text = "Wir entwickeln Halbleiterbauelemente und Lasersysteme"
    found = {(text[h.start : h.end], h.term) for h in matcher.match(text)}
    assert found == {("Halbleiterbauelemente", "Halbleiter"), ("Lasersysteme", "Lasertechnik")}


def test_a_laser_tool_is_the_device_and_laser_sources_are_the_technology(matcher):
    """Decision record 8: the heavier technology term wins on the same word."""
    text = (
        "Lasergravur und Laserkante in der Tischlerei; Laserstrahlquellen und Faserlaser im Labor"
    )
    found = [(text[h.start : h.end], h.term, h.weight) for h in matcher.match(text)]
    assert found == [
        ("Lasergravur", "Laser", 0.4),
        ("Laserkante", "Laser", 0.4),
        ("Laserstrahlquellen", "Lasertechnik", 1.0),
        ("Faserlaser", "Lasertechnik", 1.0),
    ]


def test_data_protection_with_it_security_is_one_weak_compliance_hit(matcher):
    text = "Abendkurs IT-Sicherheit und Datenschutz im Betrieb"
    assert [(h.term, h.weight) for h in matcher.match(text)] == [
        ("IT-Sicherheit und Datenschutz", 0.2)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Sensorische Prüfung von Weinen",
        "Der Augenoptiker-Meister berät",
        "Die Optikerin und die Augenoptik Müller GmbH beraten Sie",
        "Die Drohnen im Bienenstock",
        "Keramikgeschirr aus der Töpferei",
        "Keramische Gefäße, Fliesen und Vollkeramik",
        "Zur Navigation springen",
        "Navigationsmenü öffnen",
        "Unser Technologieradar 2025 und das Trendradar",
        "Der Glaser kommt am Montag",
        "Ein Quantensprung für die Region",
        "Die Sicherheit unserer Kunden und die Arbeitssicherheit",
        "Carbon Footprint senken im Coworking Space",
        "Tetra Pak Verpackungen und Kartoffelchips",
        "Die Verortung des Clusters in der Region",
    ],
)
def test_civil_homonym_does_not_match(matcher, text):
    assert matcher.match(text) == []


def test_weights_follow_the_weighting_rule(lexicon):
    weight = {t.term: t.weight for t in lexicon.terms}
    unmistakable = [
        "Radar",
        "Halbleiter",
        "Satellit",
        "Lasertechnik",
        "Infrarotsensor",
        "Kryptographie",
    ]
    assert [weight[t] for t in [*unmistakable, "Hyperschall"]] == [1.0] * 7
    # Homonym-prone words count less than the technical forms analysts should prefer.
    assert weight["Sensorik"] < weight["Sensortechnik"]
    assert weight["Optik"] < weight["Präzisionsoptik"]
    assert weight["Keramik"] < weight["technische Keramik"]
    assert max(weight[t] for t in ["Sensorik", "Optik", "Keramik", "Positionierung"]) <= 0.5
    # Decision record 8: a device a member may only use is context (below 0.5), its technology
    # is not.
    assert max(weight["Laser"], weight["Sensor"]) < 0.5 <= weight["Sensortechnik"]


def test_plain_homonyms_are_not_terms(lexicon):
    spellings = {s.casefold() for t in lexicon.terms for s in t.spellings}
    absent = {"sicherheit", "security", "navigation", "drohne", "drohnen", "carbon", "space"}
    assert spellings & absent == set()
