"""The fingerprint of what a classification run reads (issue 17): whatever could change a
suggestion changes it; what a recrawl answered by 304s renews (snapshot and crawl ids, the
registry's last sighting) does not."""

from __future__ import annotations

import dataclasses
import datetime as dt

from clusterradar.models.classify_inputs import inputs_fingerprint, installation_state
from clusterradar.pipeline.store import Passage
from clusterradar.settings import Settings
from clusterradar.warehouse.records import ClusterRecord

T0 = dt.datetime(2026, 8, 1, 10, 0)


def _cluster(**changes) -> ClusterRecord:
    record = ClusterRecord("optik", "Optiknetz", "registry", T0, T0, technologiefelder=["Photonik"])
    return dataclasses.replace(record, **changes)


def _passage(**changes) -> Passage:
    passage = Passage("h1", "optik", "https://optik.example/", "r1-index", "home", "Text", "text")
    return dataclasses.replace(passage, **changes)


def _fingerprint(settings=None, cluster=None, labels=None, passages=None) -> str:
    cluster = cluster or _cluster()
    return inputs_fingerprint(
        installation_state(settings or Settings(), "1.0+abc"),
        [cluster],
        [cluster],
        labels if labels is not None else [["optik", "intensity", ["level_2"]]],
        {"optik": passages if passages is not None else [_passage()]},
    )


def test_a_recrawl_answered_by_304s_fingerprints_the_same():
    renewed = _passage(snapshot_id="r2-index", crawl_run_id="r2", crawled_at=T0)
    later = _cluster(last_seen=T0 + dt.timedelta(days=92))
    assert _fingerprint(cluster=later, passages=[renewed]) == _fingerprint()


def test_every_input_of_a_suggestion_changes_the_fingerprint():
    same = _fingerprint()
    changed_settings = Settings()
    changed_settings.nlp.passage_sentences = 4
    assert _fingerprint(settings=changed_settings) != same
    assert _fingerprint(passages=[_passage(passage_hash="h2")]) != same
    assert _fingerprint(passages=[_passage(page_kind="about")]) != same
    assert _fingerprint(passages=[_passage(url="https://optik.example/neu")]) != same
    note = "aus dem Crawl vom 2026-08-01; Website nicht erreichbar"
    assert _fingerprint(passages=[_passage(earlier_crawl_note=note)]) != same
    assert _fingerprint(passages=[]) != same
    assert _fingerprint(labels=[["optik", "intensity", ["level_3"]]]) != same
    assert _fingerprint(cluster=_cluster(technologiefelder=["Sensorik"])) != same
    assert _fingerprint(cluster=_cluster(name="Optiknetz Nord")) != same
    assert _fingerprint(cluster=_cluster(go_cluster=True)) != same


def test_another_code_version_fingerprints_differently():
    settings = Settings()
    assert installation_state(settings, "1.0+abc") != installation_state(settings, "1.0+def")


def test_code_version_follows_the_model_codes_content_not_other_files(tmp_path, monkeypatch):
    """A commit elsewhere (docs, the review app) must not retrain; an edit of the model code or
    its data files, committed or not, must."""
    import importlib

    from clusterradar.models.code_version import code_version_of

    package = tmp_path / "modelcode"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "scoring.py").write_text("WEIGHT = 1\n")
    (package / "data" / "terms.yaml").write_text("- Radar\n")
    (package / "NOTES.md").write_text("notes\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    deep, flat = (("modelcode", True),), (("modelcode", False),)
    first, first_flat = code_version_of(deep), code_version_of(flat)

    (package / "NOTES.md").write_text("other notes\n")
    assert code_version_of(deep) == first
    (package / "data" / "terms.yaml").write_text("- Radar\n- Sonar\n")
    assert code_version_of(deep) != first
    assert code_version_of(flat) == first_flat  # a subfolder is not read without recursion
    (package / "scoring.py").write_text("WEIGHT = 2\n")
    assert code_version_of(flat) != first_flat
