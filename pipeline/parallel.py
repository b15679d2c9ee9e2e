"""Both cores for the two CPU-bound text steps: extraction, and passages + lexicon.

trafilatura and spaCy hold the GIL, so a second core helps only through a second process. The
steps keep their shape: the main process reads a unit of work from the warehouse (one site's
pages, one batch of texts), hands it to a pool of worker processes, and writes the results
back in the order it read them, while the workers already extract or split the next units. At
most ``ahead`` units are in flight, so memory stays bounded whatever the size of the run.

Results are the same as in one process: a worker runs exactly the functions the main process
would (:func:`~clusterradar.pipeline.extract.extract_site`,
:func:`~clusterradar.pipeline.store.score_texts`) on the same unit. Workers are started with
``spawn`` (never ``fork`` from a process holding a DuckDB connection) and load spaCy and the
lexicon once each. Small runs stay in the main process: starting a worker costs about as much
as extracting a hundred pages.
"""

from __future__ import annotations

import collections
import concurrent.futures as futures
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from clusterradar.pipeline.extract import ExtractedPage, extract_site
from clusterradar.pipeline.lexicon import Lexicon, LexiconMatcher
from clusterradar.pipeline.nlp import describe_nlp, load_nlp
from clusterradar.pipeline.store import ScoredPassage, score_texts

__all__ = ["MIN_UNITS_FOR_WORKERS", "StagePool", "TextSettings", "stage_workers"]

MAX_WORKERS = 2
# below this many pages (or texts) a step runs in the main process
MIN_UNITS_FOR_WORKERS = 200

Unit = TypeVar("Unit")


def stage_workers(units: int, processes: int = 0, cores: int | None = None) -> int:
    """Worker processes for a step over ``units`` pages or texts (0: the main process).

    ``processes`` is the setting ``nlp.processes``: 1 keeps every step in the main process,
    N >= 2 asks for N workers, 0 (the default) takes one per usable core, at most
    ``MAX_WORKERS``, and none on a single core. Small steps (fewer than
    ``MIN_UNITS_FOR_WORKERS`` units) always stay in the main process: a worker's start
    (importing trafilatura or spaCy, loading the pipeline) costs about as much as a hundred
    pages. The rule is deliberately not the load average: a quarter's own crawl process keeps
    the 1-minute load up when the pipeline starts, and a machine shared with other work is
    better told so by its owner (``nlp.processes = 1``). Measured on an idle 2-core machine
    (docs/performance.md): two workers made extraction 1.6x and passages 1.2x faster; on a
    box shared with seven other jobs they made it slower.
    """
    if units < MIN_UNITS_FOR_WORKERS or processes == 1:
        return 0
    if processes >= 2:
        return processes
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(cores or 1, MAX_WORKERS)
    return workers if workers >= 2 else 0


@dataclass(slots=True, frozen=True)
class TextSettings:
    """What a worker needs to split and score texts exactly as the main process would."""

    spacy_model: str
    lexicon: Lexicon
    sentences: int
    max_chars: int
    technology: Lexicon | None = None  # matched on the same tokens when given


class _InProcess(futures.Executor):
    """An executor that runs each call at once, in this process: the 0-worker case takes the
    same code path as the pool."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> futures.Future:
        future: futures.Future = futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller by future.result()
            future.set_exception(exc)
        return future


class StagePool:
    """``workers`` processes (0: this process) for one pipeline step; use as a context manager."""

    def __init__(self, workers: int, ahead: int | None = None):
        self.workers = workers
        self.ahead = ahead if ahead is not None else max(2, 2 * workers)
        self._executor: futures.Executor = (
            futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            if workers > 0
            else _InProcess()
        )

    def __enter__(self) -> StagePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def in_order(
        self, units: Iterable[Unit], calls: Callable[[Unit], list[tuple[Callable[..., Any], tuple]]]
    ) -> Iterator[tuple[Unit, list[Any]]]:
        """(unit, results of its calls) in the order of ``units``; ``calls(unit)`` says which
        functions to run for a unit. ``units`` is read lazily, ``ahead`` units at a time."""
        pending: collections.deque[tuple[Unit, list[futures.Future]]] = collections.deque()
        for unit in units:
            submitted = [self._executor.submit(fn, *args) for fn, args in calls(unit)]
            pending.append((unit, submitted))
            if len(pending) >= self.ahead:
                first, done = pending.popleft()
                yield first, [future.result() for future in done]
        while pending:
            first, done = pending.popleft()
            yield first, [future.result() for future in done]

    def extract_sites(
        self,
        groups: Iterable[Unit],
        pages_of: Callable[[Unit], list[list[tuple]]],
        min_share: float,
    ) -> Iterator[tuple[Unit, list[list[ExtractedPage]]]]:
        """Each group of sites with each site's extracted, boilerplate-cleaned pages;
        ``pages_of(group)`` gives each site's (body, url, content type) rows. A group is read
        (and written) at once; its sites go to the workers one by one."""
        yield from self.in_order(
            groups,
            lambda group: [(extract_site, (pages, min_share)) for pages in pages_of(group)],
        )

    def score_batches(
        self, batches: Iterable[Unit], texts_of: Callable[[Unit], list[str]], text: TextSettings
    ) -> Iterator[tuple[Unit, list[list[ScoredPassage]]]]:
        """Each batch with the scored passages of each of its texts, a batch split evenly over
        the workers."""
        parts = max(1, self.workers)

        def calls(batch: Unit) -> list[tuple[Callable[..., Any], tuple]]:
            texts = texts_of(batch)
            size = -(-len(texts) // parts) or 1
            return [
                (_score_in_worker, (texts[i : i + size], text)) for i in range(0, len(texts), size)
            ]

        for batch, results in self.in_order(batches, calls):
            yield batch, [scored for part in results for scored in part]

    def pipeline_name(self, text: TextSettings) -> str:
        """:func:`describe_nlp` of the pipeline the workers load (loading it there first)."""
        return self._executor.submit(_pipeline_name_in_worker, text).result()


# -- in the worker processes (module level, so spawn can import them) ---------------------
_loaded: dict[tuple[str, str, str | None], tuple[Any, LexiconMatcher, LexiconMatcher | None]] = {}


def _nlp_and_matcher(text: TextSettings) -> tuple[Any, LexiconMatcher, LexiconMatcher | None]:
    """The pipeline and matchers of ``text``, built once per process (the last one kept)."""
    technology = text.technology
    key = (
        text.spacy_model,
        text.lexicon.content_hash,
        technology.content_hash if technology is not None else None,
    )
    if key not in _loaded:
        _loaded.clear()
        nlp = load_nlp(text.spacy_model)
        _loaded[key] = (
            nlp,
            LexiconMatcher(nlp, text.lexicon),
            LexiconMatcher(nlp, technology) if technology is not None else None,
        )
    return _loaded[key]


def _pipeline_name_in_worker(text: TextSettings) -> str:
    return describe_nlp(_nlp_and_matcher(text)[0])


def _score_in_worker(texts: list[str], text: TextSettings) -> list[list[ScoredPassage]]:
    nlp, matcher, technology = _nlp_and_matcher(text)
    return score_texts(
        texts,
        nlp,
        matcher,
        sentences=text.sentences,
        max_chars=text.max_chars,
        technology=technology,
    )
