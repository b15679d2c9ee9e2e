"""``process_pending``: bring the warehouse's derived text data up to date, resumably.

Three steps, each over what is missing only, each in small batches with their own short
transaction (a crash or Ctrl-C loses at most one batch). A step keeps one warehouse connection
for all its batches and hands it back between two batches when another process (the review
app) waits for the file, so that process is never locked out for longer than one batch:

1. extraction: snapshots with a body and no ``extracted_text``, one site (crawl run × cluster)
   at a time so repeated site boilerplate can be dropped, read and written a few sites (about
   100 pages) at a time; fills the snapshot's derived columns once ('' = extracted, no text);
2. passages: extracted snapshots without a ``passage_sets`` row are split, lexicon-matched and
   written to ``passages``; passages matched with an older version of the lexicon file (an
   analyst added terms) get their lexicon columns recomputed;
3. embeddings: passages without a cached vector of the configured model are embedded.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from clusterradar.pipeline.embed import get_embedder, model_id_without_loading, store_vectors
from clusterradar.pipeline.lexicon import (
    LexiconMatcher,
    lexicon_score,
    lexicon_terms,
    load_lexicon,
    load_technology_lexicon,
)
from clusterradar.pipeline.nlp import load_nlp
from clusterradar.pipeline.parallel import StagePool, TextSettings, stage_workers
from clusterradar.settings import Settings
from clusterradar.warehouse import connect, transaction
from clusterradar.warehouse import passages as passages_store
from clusterradar.warehouse.db import turn_is_over

__all__ = ["PipelineStats", "process_pending"]

log = logging.getLogger(__name__)

PASSAGE_BATCH_SNAPSHOTS = 100
# Snapshots whose texts one query reads. A read costs about the same for 100 snapshots as for
# 2,000 (about 100 ms on the 450 x 30 warehouse: it scans the snapshots), and the stage's own
# process shares the two cores with the spaCy workers (issue 17), so texts are read in windows
# of this many (about 10 MB of text) and handed to the workers in batches of the size above.
TEXT_READ_SNAPSHOTS = 1000
# Pages read and written together (extracted site by site). A read costs about the same for
# 100 pages as for 1,000 (100-200 ms on the 450 x 30 warehouse), so groups are large: the
# extraction of 6,200 pages took 22.0 s in groups of 100 and 17.9 s in groups of 1,000, the
# stage's own process 8.9 and 3.9 s of CPU (issue 17). An interruption loses one group.
EXTRACT_BATCH_PAGES = 1000


@dataclass(slots=True)
class PipelineStats:
    """What one ``process_pending`` call did; all zero on a rerun with nothing new."""

    sites_extracted: int = 0
    pages_extracted: int = 0
    pages_empty: int = 0
    snapshots_split: int = 0
    passages_written: int = 0
    passages_rescored: int = 0
    passages_embedded: int = 0
    embedding_model: str | None = None
    nlp_pipeline: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


class _Steps:
    """A rich progress bar per step, or nothing (tests, --quiet, non-terminals)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress = None

    @contextlib.contextmanager
    def running(self) -> Iterator[_Steps]:
        if not self.enabled:
            yield self
            return

        with Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
        ) as progress:
            self._progress = progress
            yield self
        self._progress = None

    def step(self, description: str, total: int) -> Callable[[int], None]:
        if self._progress is None:
            return lambda n: None
        task = self._progress.add_task(description, total=total)
        return lambda n: self._progress.advance(task, n)  # type: ignore[union-attr]


class _StageConnection:
    """One warehouse unit of work for a whole stage, handed back between batches only when
    another process waits for the file (the review app, a crawl); then the next batch opens a
    new one after that process's turn. Opening the file per batch cost more than the batch
    (issue 17)."""

    def __init__(self, db: Path, timeout: float):
        self._db, self._timeout = db, timeout
        self._stack: contextlib.ExitStack | None = None
        self._con = None

    def __enter__(self) -> _StageConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def con(self) -> Any:
        if self._stack is None:
            self._stack = contextlib.ExitStack()
            self._con = self._stack.enter_context(connect(self._db, timeout=self._timeout))
        return self._con

    def batch_done(self) -> None:
        """Between batches: end the unit of work if another process is waiting for its turn."""
        if self._stack is not None and turn_is_over(self._db):
            self.close()

    def close(self) -> None:
        if self._stack is not None:
            stack, self._stack, self._con = self._stack, None, None
            stack.close()


def _site_groups(sites: list[tuple], pages: int) -> Iterator[list[tuple]]:
    """Consecutive sites in groups of at least ``pages`` pages (the last one may be smaller)."""
    group: list[tuple] = []
    for site in sites:
        group.append(site)
        if sum(s[2] for s in group) >= pages:
            yield group
            group = []
    if group:
        yield group


def extract_pending(
    db: Path, settings: Settings, cluster_ids: list[str] | None, steps: _Steps, stats: PipelineStats
) -> None:
    """Sites are extracted one by one (a worker's unit: repeated boilerplate is per site), but
    read and written a group at a time, at least ``EXTRACT_BATCH_PAGES`` pages in one query and
    one transaction: a query or a commit per site of 25 pages cost about a third as much as
    trafilatura's work on them (issue 17)."""
    with _StageConnection(db, settings.lock_timeout) as stage:
        sites = passages_store.pending_sites(stage.con(), cluster_ids)
        total = sum(site[2] for site in sites)
        advance = steps.step("extract", total)
        group_rows: dict[int, list[list[tuple]]] = {}

        def sites_pages(group: list[tuple]) -> list[list[tuple]]:
            """Each site's (snapshot_id, url, content_type, body) rows, in the order a query of
            that site alone returns them (the group's rows are in the same global order)."""
            site_of = {snapshot_id: i for i, site in enumerate(group) for snapshot_id in site[3]}
            per_site: list[list[tuple]] = [[] for _ in group]
            snapshot_ids = [snapshot_id for site in group for snapshot_id in site[3]]
            for row in passages_store.site_pages(stage.con(), snapshot_ids):
                per_site[site_of[row[0]]].append(row)
            group_rows[id(group)] = per_site
            return per_site

        def pages_of(group: list[tuple]) -> list[list[tuple]]:
            return [
                [(body, url, content_type) for _, url, content_type, body in rows]
                for rows in sites_pages(group)
            ]

        with StagePool(stage_workers(total, settings.nlp.processes)) as pool:
            min_share = settings.nlp.boilerplate_min_share
            groups = _site_groups(sites, EXTRACT_BATCH_PAGES)
            for group, extracted in pool.extract_sites(groups, pages_of, min_share):
                per_site = group_rows.pop(id(group))
                con = stage.con()
                with transaction(con):
                    passages_store.fill_extraction(
                        con,
                        [
                            [page.text, page.title, page.language, page.published, row[0]]
                            for rows, pages in zip(per_site, extracted, strict=True)
                            for row, page in zip(rows, pages, strict=True)
                        ],
                    )
                stage.batch_done()
                for pages in extracted:
                    stats.sites_extracted += 1
                    stats.pages_extracted += len(pages)
                    stats.pages_empty += sum(not page.text for page in pages)
                    advance(len(pages))


def _text_batches(stage: _StageConnection, pending: list[str]) -> Iterator[list[tuple]]:
    """The texts of the `pending` snapshots, read a window at a time, in batches for the
    workers (rows of snapshots split meanwhile are written once: the inserts skip conflicts)."""
    for start in range(0, len(pending), TEXT_READ_SNAPSHOTS):
        window = pending[start : start + TEXT_READ_SNAPSHOTS]
        rows = passages_store.snapshot_texts(stage.con(), window)
        for i in range(0, len(rows), PASSAGE_BATCH_SNAPSHOTS):
            yield rows[i : i + PASSAGE_BATCH_SNAPSHOTS]


def split_pending(
    db: Path, settings: Settings, cluster_ids: list[str] | None, steps: _Steps, stats: PipelineStats
) -> None:
    with _StageConnection(db, settings.lock_timeout) as stage:
        pending = passages_store.snapshots_without_passages(stage.con(), cluster_ids)
        if not pending:
            return
        lexicon = load_lexicon(settings.nlp.lexicon_path or None)
        technology = load_technology_lexicon(settings.nlp.technology_lexicon_path)
        text = TextSettings(
            settings.nlp.spacy_model,
            lexicon,
            settings.nlp.passage_sentences,
            settings.nlp.passage_max_chars,
            technology,
        )
        advance = steps.step("passages", len(pending))
        with StagePool(stage_workers(len(pending), settings.nlp.processes)) as pool:
            stats.nlp_pipeline = pool.pipeline_name(text)
            batches = _text_batches(stage, pending)
            texts_of = lambda rows: [text or "" for *_, text in rows]  # noqa: E731
            for rows, scored_texts in pool.score_batches(batches, texts_of, text):
                passage_rows, set_rows = [], []
                for (snapshot_id, cluster_id, url, page_kind, language, _), scored in zip(
                    rows, scored_texts, strict=True
                ):
                    passage_rows += [
                        [
                            snapshot_id,
                            cluster_id,
                            p.seq,
                            p.passage_hash,
                            p.text,
                            p.lemmas,
                            p.lexicon_terms,
                            p.lexicon_score,
                            page_kind,
                            url,
                            language,
                            p.technology_terms,
                        ]
                        for p in scored
                    ]
                    set_rows.append(
                        [
                            snapshot_id,
                            len(scored),
                            lexicon.content_hash,
                            stats.nlp_pipeline,
                            technology.content_hash,
                        ]
                    )
                con = stage.con()
                with transaction(con):
                    passages_store.insert_passages(con, passage_rows, set_rows)
                stage.batch_done()
                stats.snapshots_split += len(set_rows)
                stats.passages_written += len(passage_rows)
                advance(len(rows))


def rescore_stale_lexicon(
    db: Path,
    settings: Settings,
    cluster_ids: list[str] | None,
    steps: _Steps,
    stats: PipelineStats,
) -> None:
    """Recompute lexicon terms and scores, and technology terms, of passages matched with an
    older lexicon or technology lexicon file (or, from before migration 0009, without
    technology terms)."""

    lexicon = load_lexicon(settings.nlp.lexicon_path or None)
    technology = load_technology_lexicon(settings.nlp.technology_lexicon_path)
    with _StageConnection(db, settings.lock_timeout) as stage:
        stale = passages_store.snapshots_with_stale_lexicon(
            stage.con(), lexicon.content_hash, cluster_ids, technology.content_hash
        )
        if not stale:
            return
        nlp = load_nlp(settings.nlp.spacy_model)
        matcher = LexiconMatcher(nlp, lexicon)
        technology_matcher = LexiconMatcher(nlp, technology)
        advance = steps.step("lexicon", len(stale))
        for i in range(0, len(stale), PASSAGE_BATCH_SNAPSHOTS):
            batch = stale[i : i + PASSAGE_BATCH_SNAPSHOTS]
            rows = passages_store.passages_of_snapshots(stage.con(), batch)
            updates = []
            for (snapshot_id, seq, _text), doc in zip(
                rows, nlp.pipe(r[2] for r in rows), strict=True
            ):
                hits = matcher.match(doc)
                technology_terms = lexicon_terms(technology_matcher.match(doc))
                updates.append(
                    [lexicon_terms(hits), lexicon_score(hits), snapshot_id, seq, technology_terms]
                )
            con = stage.con()
            with transaction(con):
                passages_store.update_lexicon(
                    con, updates, lexicon.content_hash, batch, technology.content_hash
                )
            stage.batch_done()
            stats.passages_rescored += len(updates)
            advance(len(batch))


def embed_pending(
    db: Path, settings: Settings, cluster_ids: list[str] | None, steps: _Steps, stats: PipelineStats
) -> None:
    known_id = model_id_without_loading(settings.nlp.embedding_model)
    with _StageConnection(db, settings.lock_timeout) as stage:
        missing: list[tuple[str, str]] | None = None
        if known_id is not None:  # an unchanged quarter need not load the model to see that
            stats.embedding_model = known_id
            if not passages_store.any_unembedded(stage.con(), known_id, cluster_ids):
                return
            # The texts are read while the model loads (DuckDB lets go of the GIL): half a
            # second of the step at registry size (issue 17).
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed-read") as reader:
                reading = reader.submit(
                    passages_store.unembedded_passages, stage.con(), known_id, cluster_ids
                )
                embedder = get_embedder(settings.nlp.embedding_model)
                missing = reading.result()
        else:
            embedder = get_embedder(settings.nlp.embedding_model)
        stats.embedding_model = embedder.model_id
        if embedder.model_id != known_id:
            missing = passages_store.unembedded_passages(
                stage.con(), embedder.model_id, cluster_ids
            )
        if not missing:
            return
        advance = steps.step("embeddings", len(missing))

        def counted(n: int) -> None:
            stats.passages_embedded += n
            advance(n)
            stage.batch_done()

        @contextlib.contextmanager
        def stage_connection() -> Iterator[Any]:
            yield stage.con()

        store_vectors(
            stage_connection,
            embedder,
            missing,
            batch_size=max(settings.nlp.batch_size, 1) * 4,
            on_batch=counted,
        )


def process_pending(
    settings: Settings, *, cluster_ids: list[str] | None = None, progress: bool = True
) -> PipelineStats:
    """Run extraction, passages and embeddings over everything not done yet; idempotent.

    ``cluster_ids`` restricts all three steps to those clusters. Returns what was done; a
    second call right after the first returns all-zero counts.
    """
    stats = PipelineStats()
    db = Path(settings.db)
    steps = _Steps(progress)
    with steps.running():
        for name, step in (
            ("extract", extract_pending),
            ("passages", split_pending),
            ("lexicon", rescore_stale_lexicon),
            ("embeddings", embed_pending),
        ):
            started = time.perf_counter()
            step(db, settings, cluster_ids, steps, stats)
            stats.seconds[name] = round(time.perf_counter() - started, 3)
    log.info("pipeline: %s", stats.as_dict())
    return stats
