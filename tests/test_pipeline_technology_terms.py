"""The passages step matches the technology lexicon on the tokens it already has and stores the
terms with each passage, with the lexicon's hash (migration 0009): exactly the terms a second
spaCy pass over the passage text gives, so classify need not run one (issue 17)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from clusterradar.labels.schema import default_technology_lexicon_path
from clusterradar.pipeline.documents import read_documents
from clusterradar.pipeline.lexicon import lexicon_terms, load_technology_lexicon
from clusterradar.pipeline.store import cluster_passages, score_texts
from tests.classify_warehouse import record_site_crawl
from tests.conftest import FIXTURES

T0 = dt.datetime(2026, 8, 1, 10, 0)
DEFENCE = "defence-nrw"
NEW_TERM = "Jahrestagung"  # on the site's pages, in no packaged lexicon


def _settings(path, technology_lexicon: Path | None = None):
    from clusterradar.settings import load_settings

    settings = load_settings(overrides={"db": path})
    if technology_lexicon is not None:
        settings.nlp.technology_lexicon_path = str(technology_lexicon)
    return settings


@pytest.fixture(scope="module")
def kit():
    from clusterradar.models.corpus import load_text_kit

    return load_text_kit(_settings("unused.duckdb"))


def _parsed_again(kit, texts: list[str]) -> list[list[str]]:
    """What classify's ``match_technology`` gives each text: its own ``nlp.pipe`` pass."""
    return [lexicon_terms(kit.technology_matcher.match(doc)) for doc in kit.nlp.pipe(texts)]


def test_technology_terms_from_the_passages_tokens_equal_a_second_spacy_pass(kit):
    texts = [
        path.read_text(encoding="utf-8", errors="replace")
        for path in sorted((FIXTURES / "pipeline").rglob("*.html"))
    ] + [
        document.text or ""
        for path in sorted((FIXTURES / "models").glob("*websites*.jsonl"))
        for document in read_documents(path)
    ]
    scored = [
        p
        for passages in score_texts(texts, kit.nlp, kit.matcher, technology=kit.technology_matcher)
        for p in passages
    ]
    assert len(scored) > 100
    again = _parsed_again(kit, [p.text for p in scored])
    assert [p.technology_terms for p in scored] == again
    assert len({term for terms in again for term in terms}) >= 20  # not a comparison of empties


def test_without_a_technology_matcher_passages_say_not_matched(kit):
    (scored,) = score_texts(["Radar und Sensorik für die Bundeswehr."], kit.nlp, kit.matcher)
    assert [p.technology_terms for p in scored] == [None]


def _processed(tmp_path, technology_lexicon: Path | None = None):
    from clusterradar.pipeline.run import process_pending
    from clusterradar.warehouse import connect, migrate, transaction

    path = tmp_path / "warehouse.duckdb"
    migrate(path)
    with connect(path) as con, transaction(con):
        record_site_crawl(con, "r1", T0, DEFENCE, "https://defence.nrw/")
    process_pending(_settings(path, technology_lexicon), progress=False)
    return path


def _stored(path) -> tuple[list[tuple[str, list[str] | None]], set[str | None]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT text, technology_terms FROM passages ORDER BY snapshot_id, seq"
        ).fetchall()
        hashes = {r[0] for r in con.execute("SELECT technology_hash FROM passage_sets").fetchall()}
    return rows, hashes


@pytest.mark.slow
def test_passages_step_stores_the_technology_terms_and_the_lexicon_hash(tmp_path, kit):
    path = _processed(tmp_path)
    rows, hashes = _stored(path)
    assert hashes == {load_technology_lexicon().content_hash}
    assert [terms for _, terms in rows] == _parsed_again(kit, [text for text, _ in rows])
    assert any(terms for _, terms in rows)
    assert all(terms is not None for _, terms in rows)  # "no terms" is [], never NULL


@pytest.mark.slow
def test_an_edited_technology_lexicon_gives_the_new_terms_after_the_lexicon_step(tmp_path):
    from clusterradar.pipeline.run import process_pending
    from clusterradar.warehouse import connect

    path = _processed(tmp_path)
    old = load_technology_lexicon()
    edited = tmp_path / "technology_lexicon.yaml"
    edited.write_text(
        default_technology_lexicon_path().read_text(encoding="utf-8")
        + f"  - {{term: {NEW_TERM}, category: cyber_security, weight: 0.3}}\n",
        encoding="utf-8",
    )
    new = load_technology_lexicon(edited)
    with connect(path, read_only=True) as con:  # classify's reader: stale terms are not used
        stale = cluster_passages(con, [DEFENCE], technology_hash=new.content_hash)[DEFENCE]
        current = cluster_passages(con, [DEFENCE], technology_hash=old.content_hash)[DEFENCE]
    assert all(p.technology_terms is None for p in stale)
    assert all(p.technology_terms is not None for p in current)
    assert not any(NEW_TERM in p.technology_terms for p in current)

    stats = process_pending(_settings(path, edited), progress=False)
    assert stats.passages_rescored > 0
    rows, hashes = _stored(path)
    assert hashes == {new.content_hash}
    assert any(NEW_TERM in terms for _, terms in rows)
    with connect(path, read_only=True) as con:
        fresh = cluster_passages(con, [DEFENCE], technology_hash=new.content_hash)[DEFENCE]
    assert any(NEW_TERM in p.technology_terms for p in fresh)


def test_a_warehouse_of_schema_8_migrates_with_its_passages_not_matched(tmp_path):
    from clusterradar.warehouse import migrate
    from tests.conftest import warehouse_at_schema

    path = tmp_path / "old.duckdb"
    warehouse_at_schema(path, 8)  # what migrate() made before 0009 existed
    with duckdb.connect(str(path)) as con:
        con.execute(
            "INSERT INTO passages (snapshot_id, cluster_id, seq, passage_hash, text, lemmas) "
            "VALUES ('s1', 'c1', 0, 'h', 'Radar', 'radar')"
        )
        con.execute(
            "INSERT INTO passage_sets VALUES ('s1', 1, 'svi-hash', 'de_core_news_sm', now())"
        )
    _version, applied = migrate(path)
    assert applied[0] == 9
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT text, technology_terms FROM passages").fetchall() == [
            ("Radar", None)
        ]
        assert con.execute("SELECT lexicon_hash, technology_hash FROM passage_sets").fetchall() == [
            ("svi-hash", None)
        ]
