"""German sentence splitting, lemmas, passages and the SVI lexicon (offline spaCy pipeline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterradar.errors import LabelValidationError
from clusterradar.pipeline import passages as passages_module
from clusterradar.pipeline.lexicon import LexiconMatcher, load_lexicon, parse_lexicon
from clusterradar.pipeline.nlp import load_nlp
from clusterradar.pipeline.passages import lemma_string, passage_hash, split_passages, split_texts
from clusterradar.pipeline.store import score_text, score_texts


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


@pytest.fixture(scope="module")
def matcher(nlp):
    return LexiconMatcher(nlp, load_lexicon())


def _terms(matcher, text: str) -> list[str]:
    return [hit.term for hit in matcher.match(text)]


def test_blank_pipeline_is_used_offline_and_cached_per_process(nlp):
    assert "sentencizer" in nlp.pipe_names or "senter" in nlp.pipe_names
    assert load_nlp() is nlp


def test_sentences_and_lemmas_of_inflected_german(nlp):
    doc = nlp("Die Soldaten der Bundeswehr testen Drohnen. Wir fördern die Streitkräfte.")
    assert len(list(doc.sents)) == 2
    lemmas = {tok.text: tok.lemma_ for tok in doc}
    assert lemmas["Drohnen"] == "Drohne"
    assert lemmas["testen"] == "testen"


def test_passages_group_sentences_and_keep_offsets(nlp):
    text = (
        "Über uns\n"
        "Der Cluster vernetzt 120 Unternehmen. Wir fördern Innovation. Die Bundeswehr ist Partner. "
        "Neue Projekte starten 2026.\nMitglieder"
    )
    passages = split_passages(text, nlp, sentences=3)
    assert len(passages) == 2
    for p in passages:
        assert p.text and text[p.start : p.end] == p.text
    assert passages[0].text.startswith("Über uns\nDer Cluster")
    assert "bundeswehr" in passages[1].lemmas
    assert passages[1].lemmas == passages[1].lemmas.lower()
    assert "." not in passages[1].lemmas.split()


def test_a_long_sentence_is_cut_into_passages_within_max_chars(nlp):
    text = "Sensorik Radar Optronik Kommunikation " * 80
    passages = split_passages(text, nlp, max_chars=300)
    assert len(passages) > 5
    assert all(0 < len(p.text) <= 300 for p in passages)
    assert all(not p.text.startswith(" ") for p in passages)


def test_no_passages_from_empty_text(nlp):
    assert split_passages("", nlp) == []
    assert split_passages(" \n\n ", nlp) == []


def test_passage_hash_ignores_whitespace_differences():
    assert passage_hash("Die  Bundeswehr\n beschafft.") == passage_hash(
        "Die Bundeswehr beschafft. "
    )
    assert passage_hash("Die Bundeswehr") != passage_hash("Die Marine")


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Die Rüstungsunternehmen der Region wachsen.", "Rüstung"),
        ("Ein Termin im Verteidigungsministerium.", "Verteidigung"),
        ("Beiträge zur Landesverteidigung.", "Verteidigung"),
        ("Projekte mit der Bundeswehr und für die Bundeswehr.", "Bundeswehr"),
        ("Forschung mit den Streitkräften.", "Streitkräfte"),
        ("Dual-Use-Güter unterliegen der Kontrolle.", "Dual-Use"),
        ("Betreiber kritischer Infrastrukturen.", "kritische Infrastruktur"),
        ("KRITIS-Betreiber tauschen sich aus.", "KRITIS"),
        ("Ein Auftrag des BAAINBw.", "BAAINBw"),
        ("Partner wie Heckler & Koch und Krauss-Maffei Wegmann.", "Heckler & Koch"),
        ("Partner wie Heckler & Koch und Krauss-Maffei Wegmann.", "Krauss-Maffei Wegmann"),
        ("Zulieferer von Airbus Defence and Space.", "Airbus Defence and Space"),
        ("Die zivile Sicherheitsforschung in Deutschland.", "Sicherheitsforschung"),
        ("We serve the defence industry.", "defence industry"),
        ("Maritime Sicherheit und maritimes Systemumfeld", "maritime Sicherheit"),
        ("Kritische Infrastrukturen schützen", "kritische Infrastruktur"),
        ("Cluster DEFENCE.NRW", "Defence"),
        ("Aufbau eines Def-Tech-Ökosystems", "Def-Tech"),
        ("Hersteller von Handfeuerwaffen und Waffensystemen", "Waffe"),
        ("Hersteller von Waffensystemen", "Waffentechnik"),
        ("Partner der BOS", "BOS"),
    ],
)
def test_lexicon_matches_lemmas_compounds_and_names(matcher, text, term):
    assert term in _terms(matcher, text)


def test_company_name_counts_once_not_again_as_its_parts(matcher):
    assert _terms(matcher, "Zulieferer von Airbus Defence and Space.") == [
        "Airbus Defence and Space"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Lebensmittelsicherheit und Hygiene in der Produktion.",
        "Arbeitssicherheit und Arbeitsplatzsicherheit in Bäckereien.",
        "Unsere Mitglieder bieten sichere Arbeitsplätze und sind stark in der Region.",
        "Die Ausrüstung kleiner Molkereien mit Kühltechnik.",
        "Die Feuerwehrleute im Stauwehr.",  # only the weak 'Feuerwehr' may match
        "Job security and food security matter to our members.",
        "Naturschutz und Natostrauch-Kulturen.",  # 'nato' only with a joiner: 'NATO-Partner'
        "Frische Waffeln und Waffelbruch aus der Region.",
        "Bosch und Bosnien; Frau Krieger leitet das Panzerglas-Werk.",
        "Zustandsüberwachungssysteme für Werkzeugmaschinen.",
    ],
)
def test_civil_false_friends_give_no_strong_hits(matcher, text):
    assert all(hit.weight < 0.5 for hit in matcher.match(text))


def test_passage_lemmas_ignore_capitalisation_at_sentence_start(nlp):
    (passage,) = split_passages("Kritische Infrastrukturen. Maritime Sicherheit.", nlp)
    assert passage.lemmas == "kritisch infrastruktur maritim sicherheit"


def test_hit_offsets_point_into_the_text(matcher):
    text = "Seit 2022 liefern wir an die Bundeswehr."
    (hit,) = matcher.match(text)
    assert text[hit.start : hit.end] == "Bundeswehr"
    assert hit.category == "defence" and hit.weight == 1.0


def test_matcher_accepts_docs_of_the_same_pipeline(nlp, matcher):
    assert _terms(matcher, nlp("Die NATO-Partner.")) == ["NATO"]


def test_an_analyst_can_extend_the_lexicon_with_a_line(nlp, tmp_path: Path):
    base = load_lexicon().source
    text = Path(base).read_text(encoding="utf-8") + (
        "  - {term: Gefechtsfeld, category: defence, weight: 0.9, compound: both}\n"
    )
    path = tmp_path / "lexicon.yaml"
    path.write_text(text, encoding="utf-8")
    matcher = LexiconMatcher(nlp, load_lexicon(path))
    assert "Gefechtsfeld" in _terms(matcher, "Sensoren für das digitale Gefechtsfeldmanagement.")


def test_a_text_ending_inside_a_longer_phrase_gets_the_shorter_phrase_only(nlp, tmp_path: Path):
    base = load_lexicon().source
    text = Path(base).read_text(encoding="utf-8") + (
        "  - {term: Xylofant Brummer, category: defence, weight: 0.9}\n"
        "  - {term: Xylofant Brummer Zwerg, category: defence, weight: 0.9}\n"
    )
    path = tmp_path / "lexicon.yaml"
    path.write_text(text, encoding="utf-8")
    matcher = LexiconMatcher(nlp, load_lexicon(path))
    # the three-word phrase is cut by the end of the text: only the two-word one is a hit
    assert _terms(matcher, "Wir bauen den Xylofant Brummer") == ["Xylofant Brummer"]
    assert _terms(matcher, "Der Xylofant Brummer Zwerg fliegt.") == ["Xylofant Brummer Zwerg"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("  - {term: Foo, category: defense, weight: 0.5}", "unknown category 'defense'"),
        ("  - {term: Foo, category: defence, weight: 2}", "'weight' must be a number in (0, 1]"),
        ("  - {term: Foo, category: defence}", "missing 'weight'"),
        (
            "  - {term: Foo, category: defence, weight: 0.5, compund: prefix}",
            "unknown key(s) compund",
        ),
        ("  - {term: Bundeswehr, category: defence, weight: 0.5}", "already defined"),
    ],
)
def test_invalid_lexicon_line_is_reported_with_its_line_number(line, message):
    text = "categories:\n  defence: armed forces\nterms:\n"
    text += "  - {term: Bundeswehr, category: defence, weight: 1.0}\n" + line + "\n"
    with pytest.raises(LabelValidationError) as error:
        parse_lexicon(text, "lex.yaml")
    assert message in str(error.value)
    assert "lex.yaml:5" in str(error.value)


def test_packaged_lexicon_has_the_papers_terms_and_companies():
    lexicon = load_lexicon()
    names = {t.term for t in lexicon.terms}
    for required in [
        "Verteidigung", "Bundeswehr", "Rüstung", "Wehrtechnik", "Dual-Use", "KRITIS", "Defence",
        "Sicherheitsforschung", "BAAINBw", "Airbus Defence and Space", "Rheinmetall", "TKMS",
        "Hensoldt", "Diehl Defence", "KNDS", "Krauss-Maffei Wegmann", "Heckler & Koch", "Helsing",
        "Stark Defence",
    ]:  # fmt: skip
        assert required in names
    assert "Sicherheit" not in names
    assert lexicon.weight_of("Katastrophenschutz") < lexicon.weight_of("Bundeswehr")


_ONE_PASS_TEXTS = [
    "Über uns\nDer Cluster vernetzt 120 Unternehmen. Wir fördern Innovation. Die Bundeswehr ist "
    "Partner. Neue Projekte starten 2026.\nMitglieder",
    "Ende.Anfang der Bundeswehr.  Zwei  Leerzeichen.\n\n  \nRüstungsindustrie NATO-Partner.\r\n"
    "Airbus Defence and Space liefert an die Streitkräfte",
    "x" * 2000 + " Bundeswehr " + "y" * 900,  # cuts inside words: the passage runs alone
    "Sensorik Radar Optronik Kommunikation Verteidigung " * 60,
    "Kritische Infrastrukturen\nMaritime Sicherheit. KRITIS-Betreiber und Wehrtechnik.",
    "",
    " \n ",
]


def test_passages_read_from_line_docs_equal_running_spacy_on_each_passage(nlp, matcher):
    """Each text goes through spaCy once; every passage still gets exactly the lemmas and
    lexicon hits (with offsets) that spaCy and the matcher give the passage text on its own."""
    texts = _ONE_PASS_TEXTS + [
        path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(Path(__file__).parent.joinpath("fixtures", "pipeline").rglob("*.html"))
    ]
    checked = 0
    for text, passages in zip(texts, split_texts(texts, nlp, 3, 300), strict=True):
        assert [p.text for p, _ in passages] == [p.text for p in split_passages(text, nlp, 3, 300)]
        for passage, segments in passages:
            alone = nlp(passage.text)
            assert passage.lemmas == lemma_string(alone, nlp)
            assert matcher.match_segments(segments) == matcher.match(alone)
            checked += 1
    assert checked > 100


def test_many_texts_split_in_one_stream_equal_each_text_split_alone(nlp, matcher):
    together = score_texts(_ONE_PASS_TEXTS, nlp, matcher)
    assert together == [score_text(text, nlp, matcher) for text in _ONE_PASS_TEXTS]
    assert any(p.lexicon_terms for passages in together for p in passages)


_LINE_BREAK_TEXTS = [
    "Ende.\n  Anfang mit Leerzeichen. Zweiter Satz\r\n\tTab am Anfang.  \n\n\n. Punkt vorn\n"
    "Bundeswehr  \nRüstungsindustrie \n",
    "Satz ohne Punkt  \n  \n Nächste Zeile. \u00a0Geschützt.\u2009Airbus Defence and Space\n"
    "NATO-Partner!\n\n?\nKRITIS-Betreiber und Wehrtechnik.\r\n",
    "Kurz.\nZeile zwei\nZeile drei. Mit Satz.\n" * 4,
]


def _sentences_of_each_line(nlp, text: str) -> list[tuple[int, int]]:
    """The spec of a line break: spaCy's sentences of each line run on its own."""
    spans, offset = [], 0
    for line in text.split("\n"):
        if line.strip():
            for sent in nlp(line).sents:
                if not all(tok.is_space for tok in sent) and len(sent.text.strip()) >= 2:
                    spans.append((offset + sent.start_char, offset + sent.end_char))
        offset += len(line) + 1
    return spans


@pytest.mark.parametrize("doc_chars", [100_000, 60])
def test_a_text_read_as_one_doc_splits_sentences_like_each_line_alone(
    nlp, matcher, monkeypatch, doc_chars
):
    """One doc per text (or, over the limit, per run of lines): whitespace and punctuation
    around line breaks give the sentences, lemmas and hits spaCy gives each line alone."""
    monkeypatch.setattr(passages_module, "MAX_LINE_CHARS", doc_chars)
    for text, passages in zip(
        _LINE_BREAK_TEXTS, split_texts(_LINE_BREAK_TEXTS, nlp, 1, 10_000), strict=True
    ):
        assert [(p.start, p.end) for p, _ in passages] == _sentences_of_each_line(nlp, text)
        for passage, segments in passages:
            alone = nlp(passage.text)
            assert passage.lemmas == lemma_string(alone, nlp)
            assert matcher.match_segments(segments) == matcher.match(alone)


def test_pieces_of_an_over_long_line_get_the_tokens_of_each_passage_alone(
    nlp, matcher, monkeypatch
):
    monkeypatch.setattr(passages_module, "MAX_LINE_CHARS", 120)
    text = (
        "Kopf.\n"
        + "Die Bundeswehr kauft Drohnen und Radar bei Rüstungsunternehmen. " * 6
        + "\nFuß."
    )
    for passage, segments in split_texts([text], nlp, 3, 100)[0]:
        alone = nlp(passage.text)
        assert passage.lemmas == lemma_string(alone, nlp)
        assert matcher.match_segments(segments) == matcher.match(alone)


def test_lemmas_read_without_the_lookup_lemmatizer_component_equal_those_with_it(nlp):
    from clusterradar.pipeline.nlp import TokenArrays, lemma_of_ids, lemmatizer_done_by_memo

    skipped = lemmatizer_done_by_memo(nlp)
    if not skipped:
        pytest.skip("a trained pipeline: its lemmatizer needs the tagger and always runs")
    assert skipped == ["lemmatizer"]
    texts = [
        "Die Soldaten der Bundeswehr testen Drohnen. Maritime Sicherheit!",
        "Kritische Infrastrukturen, KRITIS-Betreiber und Rüstungsunternehmen (2025).",
        "Xyzzyquatsch gibt es nicht; Verteidigungsindustrie schon.",
    ]
    with_it = [TokenArrays(doc, lemma_of_ids(nlp)).lemmas for doc in nlp.pipe(texts)]
    without = [
        TokenArrays(doc, lemma_of_ids(nlp)).lemmas for doc in nlp.pipe(texts, disable=skipped)
    ]
    assert without == with_it
    assert "drohne" in with_it[0] and "soldat" in with_it[0]
