"""Extraction and passages in worker processes: the same results as in one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterradar.pipeline.lexicon import load_lexicon
from clusterradar.pipeline.nlp import describe_nlp, load_nlp
from clusterradar.pipeline.parallel import (
    MAX_WORKERS,
    MIN_UNITS_FOR_WORKERS,
    StagePool,
    TextSettings,
    stage_workers,
)
from clusterradar.settings import NlpSettings

FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"


def _sites() -> list[list[tuple[bytes, str, str]]]:
    return [
        [
            (page.read_bytes(), f"https://{folder.name}.example/{page.stem}", "text/html")
            for page in sorted(folder.glob("*.html"))
        ]
        for folder in sorted(FIXTURES.iterdir())
        if folder.is_dir()
    ]


def _text_settings() -> TextSettings:
    nlp = NlpSettings()
    return TextSettings(
        nlp.spacy_model, load_lexicon(), nlp.passage_sentences, nlp.passage_max_chars
    )


def test_a_step_uses_one_worker_per_core_unless_it_is_small_or_told_otherwise():
    many = MIN_UNITS_FOR_WORKERS * 10
    assert stage_workers(many, 0, cores=2) == 2
    assert stage_workers(many, 0, cores=16) == MAX_WORKERS
    assert stage_workers(many, 0, cores=1) == 0  # one core: no gain from a second process
    assert stage_workers(many, 1, cores=16) == 0  # nlp.processes = 1: the main process only
    assert stage_workers(many, 3, cores=2) == 3  # asked for: given
    assert stage_workers(MIN_UNITS_FOR_WORKERS - 1, 0, cores=8) == 0
    assert stage_workers(MIN_UNITS_FOR_WORKERS - 1, 4, cores=8) == 0


def test_results_come_back_in_input_order_with_a_bounded_number_in_flight():
    read: list[int] = []

    def units():
        for unit in range(10):
            read.append(unit)
            yield unit

    with StagePool(0, ahead=3) as pool:
        seen = []
        for unit, results in pool.in_order(units(), lambda u: [(pow, (u, 2)), (str, (u,))]):
            assert len(read) - len(seen) <= 3  # never more than `ahead` units read but not done
            seen.append((unit, results))
    assert seen == [(u, [u * u, str(u)]) for u in range(10)]


@pytest.mark.slow
def test_two_worker_processes_extract_and_split_exactly_like_one_process():
    sites, text = _sites(), _text_settings()
    found = {}
    for workers in (0, 2):
        with StagePool(workers) as pool:
            groups = [sites[:1], sites[1:]]  # read together, extracted site by site
            pages = [p for _, g in pool.extract_sites(groups, lambda group: group, 0.6) for p in g]
            texts = [page.text for site_pages in pages for page in site_pages]
            batches = [texts[:5], texts[5:], []]
            scored = [s for _, s in pool.score_batches(batches, lambda batch: batch, text)]
            found[workers] = (pages, scored, pool.pipeline_name(text))
    pages, scored, name = found[0]
    assert name == describe_nlp(load_nlp(NlpSettings().spacy_model))
    assert sum(len(site) for site in pages) == 16 and any(page.title for page in pages[0])
    assert sum(len(p) for batch in scored for p in batch) > 10
    assert [len(batch) for batch in scored] == [5, 11, 0]
    assert found[2] == found[0]
