"""`clusterradar classify`: suggestions for every cluster in all four dimensions, in the warehouse.

Idempotent per quarter: a finished run for the same quarter, model version, training data and
input (the clusters and their passages) is returned as it is; an unfinished one (interrupted,
failed, or left 'running' by a killed process) is resumed, skipping clusters it already holds,
so an interrupted run never duplicates suggestions.

Within a new run, each cluster is one of three cases (:func:`plan_clusters`):

- **carried forward**: its website could not be read this quarter (the latest crawl yielded no
  text) and an earlier run classified it: that run's suggestions are copied with the note
  "Website nicht erreichbar; Vorschlag aus Quartal X übernommen" instead of scoring stale text
  as if it were new;
- **reused**: the same model artefact already classified exactly this passage set (key: model
  version + content hash of the passages and registry facts the model reads): copied as well;
- **computed**: everything else, batch by batch, the vectors read for a window of clusters at
  a time, so only that window's vectors are in memory.

Before any of that, the run fingerprints what it would read (:mod:`classify_inputs`: passage
hashes, registry facts, labels, settings, code version; no vectors). When a finished run had
the same fingerprint, its model version and passage-set hashes are taken over and the plan is
made from them: an unchanged quarter copies every cluster without importing scikit-learn or
loading the model, spaCy, the embedder or a vector (:mod:`classify_compute` holds that path).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.progress import Progress

from clusterradar import clock
from clusterradar.errors import NotFoundError
from clusterradar.models.classify_inputs import (
    RunInputs,
    inputs_fingerprint,
    installation_state,
    labelled_cluster_ids,
    parameters_of,
)
from clusterradar.models.code_version import code_version
from clusterradar.pipeline.lexicon import load_technology_lexicon
from clusterradar.pipeline.store import cluster_passage_keys, cluster_passages
from clusterradar.quarters import normalise_quarter
from clusterradar.settings import Settings
from clusterradar.texts import text
from clusterradar.threads import one_blas_thread
from clusterradar.warehouse import axis_scores, connect, transaction
from clusterradar.warehouse import suggestions as store
from clusterradar.warehouse.clusters import ClusterRecord, list_clusters
from clusterradar.warehouse.model_artifacts import artifact_version
from clusterradar.warehouse.records import AxisScoreRecord, ClusterSuggestion

if TYPE_CHECKING:
    from clusterradar.models.classify_compute import Scoring

BATCH_CLUSTERS = 10
VECTOR_WINDOW_CLUSTERS = 120  # clusters whose vectors one read fetches (Scoring.read_vectors)


@dataclass(slots=True)
class ClassifyResult:
    run_id: str
    clusters: int
    suggestions: int
    model_version: str
    training_data_hash: str
    reused: bool  # the whole run: an existing run for the same quarter, model and input
    clusters_reused: int = 0  # copied from an earlier run of the same model and passages
    clusters_carried_forward: int = 0  # copied because the website was unreachable


def _clusters(
    db_path: Path, cluster_ids: list[str] | None
) -> tuple[list[ClusterRecord], list[ClusterRecord]]:
    """(every cluster, the run's clusters); NotFoundError for an unknown requested id."""
    with connect(db_path, read_only=True) as con:
        every = list_clusters(con)
    records = every
    if cluster_ids:
        records = [r for r in every if r.cluster_id in set(cluster_ids)]
        missing = sorted(set(cluster_ids) - {r.cluster_id for r in records})
        if missing:
            raise NotFoundError(f"unknown cluster id(s): {', '.join(missing)}")
    return every, records


def _fingerprint(
    settings: Settings, db_path: Path, every: list[ClusterRecord], records: list[ClusterRecord]
) -> str:
    """The fingerprint of everything the run would read: the current passages of the run's
    clusters and of every labelled one (training reads those) by their keys, no texts."""
    with connect(db_path, read_only=True) as con:
        labelled, labels = labelled_cluster_ids(con, clock.today())
        wanted = sorted({r.cluster_id for r in records} | labelled)
        keys = cluster_passage_keys(con, wanted)
    return inputs_fingerprint(
        installation_state(settings, code_version()), records, every, labels, keys
    )


def _crawled_passages(
    settings: Settings, db_path: Path, records: list[ClusterRecord]
) -> dict[str, list]:
    """Current passages of the run's clusters, without vectors. They carry their stored
    technology terms where the passages step matched them with the current technology
    lexicon; the others are matched when a cluster is computed."""
    technology = load_technology_lexicon(settings.nlp.technology_lexicon_path)
    ids = [r.cluster_id for r in records]
    with connect(db_path, read_only=True) as con:
        passages = cluster_passages(con, ids, technology_hash=technology.content_hash)
    return {cluster_id: passages.get(cluster_id, []) for cluster_id in ids}


def carried_forward_note(quarter: str | None) -> str:
    """What a reviewer reads next to a suggestion carried forward from an earlier run."""
    if quarter:
        return text("evidence.carried_forward", quarter=quarter)
    return text("evidence.carried_forward_run")


@dataclass(slots=True)
class ClusterPlan:
    """Which clusters of a run are copied from which earlier run, and which are computed."""

    carried: dict[str, tuple[str, str]] = field(default_factory=dict)  # id → (run, note)
    reused: dict[str, str] = field(default_factory=dict)  # id → run
    computed: list[str] = field(default_factory=list)

    def copies(self, batch: list[str]) -> dict[tuple[str, str | None], list[str]]:
        """(source run, note) → the batch's clusters copied from it."""
        groups: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        for cluster_id in batch:
            if cluster_id in self.carried:
                groups[self.carried[cluster_id]].append(cluster_id)
            elif cluster_id in self.reused:
                groups[(self.reused[cluster_id], None)].append(cluster_id)
        return groups


def plan_clusters(
    db_path: Path,
    run_id: str,
    model_version: str,
    todo: list[str],
    hashes: dict[str, str],
    offline: dict[str, str],
) -> ClusterPlan:
    """Carry forward the clusters in ``offline`` that an earlier run classified, reuse those
    whose passage set this model version classified before, compute the rest."""
    plan = ClusterPlan()
    with connect(db_path, read_only=True) as con:
        earlier = store.last_own_suggestion_runs(
            con, [c for c in todo if c in offline], run_id=run_id
        )
        plan.carried = {c: (run, carried_forward_note(q)) for c, (run, q) in earlier.items()}
        rest = {c: hashes[c] for c in todo if c not in plan.carried}
        plan.reused = axis_scores.reusable_runs(con, model_version, rest, run_id=run_id)
    plan.computed = [c for c in todo if c not in plan.carried and c not in plan.reused]
    return plan


def classify_clusters(
    settings: Settings,
    *,
    cluster_ids: list[str] | None = None,
    quarter: str | None = None,
    progress: bool = True,
) -> ClassifyResult:
    """Train if needed, then write one run of suggestions (or return the matching existing run).

    When an earlier finished run read exactly the same inputs (:mod:`classify_inputs`: the
    fingerprint of passages, registry facts, labels, settings and code), its model version and
    passage-set hashes are taken over and every cluster is copied: no model, text kit or
    vector is loaded. Anything else (or a cluster the plan must compute) takes the full path.
    """
    quarter = normalise_quarter(quarter)
    db_path = Path(settings.db)
    # One unit of work around the decision (and the copies, when nothing changed): the short
    # units inside reuse this process's open instance instead of opening the file each time.
    with connect(db_path, timeout=settings.lock_timeout):
        every, rows = _clusters(db_path, cluster_ids)
        with connect(db_path) as con, transaction(con):
            store.fail_stale_runs(con, db_path)  # runs of killed processes say 'failed'
        fingerprint = _fingerprint(settings, db_path, every, rows)
        unchanged = _unchanged_inputs(db_path, fingerprint)
        if unchanged is not None:
            result = _run(settings, db_path, quarter, len(rows), unchanged, None, progress)
            if result is not None:
                return result  # everything copied; else a cluster must be computed after all
        # read under the same unit of work as the fingerprint: no other process writes between
        crawled = _crawled_passages(settings, db_path, rows)
    # Something changed: the model, the text kit and (per batch) the vectors are needed.
    from clusterradar.models import classify_compute  # scikit-learn, numpy, spaCy

    with one_blas_thread():
        inputs, scoring = classify_compute.prepare(settings, rows, crawled, fingerprint)
        result = _run(settings, db_path, quarter, len(rows), inputs, scoring, progress)
    assert result is not None  # with scoring, every plan can be carried out
    return result


def _unchanged_inputs(db_path: Path, fingerprint: str) -> RunInputs | None:
    """The inputs of the newest finished run with this fingerprint, if the model artefact
    :func:`train_model` would load for them is still the one that run used."""
    with connect(db_path, read_only=True) as con:
        found = store.run_with_fingerprint(con, code_version(), fingerprint)
        if found is None:
            return None
        _, model_version, data_hash, parameters = found
        if artifact_version(con, data_hash, code_version()) != model_version:
            return None
    try:
        return RunInputs.of_run(model_version, data_hash, parameters)
    except (KeyError, TypeError):
        return None


def _run(
    settings: Settings,
    db_path: Path,
    quarter: str | None,
    clusters: int,
    inputs: RunInputs,
    scoring: Scoring | None,
    progress: bool,
) -> ClassifyResult | None:
    """The run for ``inputs``: the finished one of this quarter with the same input, or a
    resumed or new one, copied and computed cluster by cluster. None (nothing written) when
    some cluster must be computed and ``scoring`` is None."""
    with connect(db_path, read_only=True) as con:
        runs = store.find_runs(con, quarter, inputs.model_version, inputs.training_data_hash)
    same_input = [r for r in runs if r.parameters.get("input_hash") == inputs.input_hash]
    finished = next((r for r in same_input if r.status == "finished"), None)
    if finished is not None:
        with connect(db_path, read_only=True) as con:
            count = len(store.run_suggestions(con, finished.run_id))
        return ClassifyResult(
            finished.run_id,
            clusters,
            count,
            inputs.model_version,
            inputs.training_data_hash,
            True,
        )
    unfinished = next((r for r in same_input if r.status != "finished"), None)
    run_id = unfinished.run_id if unfinished is not None else store.new_run_id()
    plan = _plan(db_path, run_id, inputs, resumed=unfinished is not None)
    if plan.computed and scoring is None:
        return None
    # Marks the run finished, interrupted (Ctrl-C) or failed; a live writer of it is refused.
    with store.writing_run(db_path, run_id):
        if unfinished is not None:
            with connect(db_path) as con, transaction(con):
                store.reopen_run(con, run_id)
            plan = _plan(db_path, run_id, inputs, resumed=True)  # now that the run is ours
        else:
            parameters = {
                **parameters_of(inputs),
                "classifier": settings.models.classifier,
                "embedding_model": settings.nlp.embedding_model,
                "seed": settings.models.seed,
                # Clusters whose latest crawl yielded no text (site down, empty): carried
                # forward from an earlier run when there is one, else classified from an
                # earlier crawl's passages, noted in every evidence row.
                "earlier_crawl": inputs.earlier_crawl,
                "carried_forward": {c: run for c, (run, _) in plan.carried.items()},
                "reused": plan.reused,
            }
            with connect(db_path) as con, transaction(con):
                store.open_run(
                    con,
                    run_id=run_id,
                    quarter=quarter,
                    model_version=inputs.model_version,
                    code_version=code_version(),
                    training_data_hash=inputs.training_data_hash,
                    parameters=parameters,
                )
        _write(db_path, run_id, inputs, plan, scoring, progress)
    with connect(db_path, read_only=True) as con:
        count = len(store.run_suggestions(con, run_id))
    return ClassifyResult(
        run_id,
        clusters,
        count,
        inputs.model_version,
        inputs.training_data_hash,
        False,
        len(plan.reused),
        len(plan.carried),
    )


def _plan(db_path: Path, run_id: str, inputs: RunInputs, *, resumed: bool) -> ClusterPlan:
    """The plan for the clusters with text that the run does not hold yet."""
    done: set[str] = set()
    if resumed:
        with connect(db_path, read_only=True) as con:
            done = store.clusters_done(con, run_id)
    todo = [c for c in inputs.clusters if c not in done and c in inputs.passages_hashes]
    return plan_clusters(
        db_path, run_id, inputs.model_version, todo, inputs.passages_hashes, inputs.earlier_crawl
    )


def _write(
    db_path: Path,
    run_id: str,
    inputs: RunInputs,
    plan: ClusterPlan,
    scoring: Scoring | None,
    progress: bool,
) -> None:
    """Copy and compute batch by batch, each batch one transaction (an interruption keeps
    whole clusters only). Vectors are read for a window of computed clusters at a time."""

    todo = sorted([*plan.carried, *plan.reused, *plan.computed])
    computed = set(plan.computed)
    in_order = [c for c in todo if c in computed]
    place = {cluster_id: i for i, cluster_id in enumerate(in_order)}
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("classifying", total=len(todo))
        for start in range(0, len(todo), BATCH_CLUSTERS):
            batch = todo[start : start + BATCH_CLUSTERS]
            rows: list[ClusterSuggestion] = []
            axis_rows: list[AxisScoreRecord] = []
            if scoring is not None and computed.intersection(batch):
                wanted = [c for c in batch if c in computed]
                if not scoring.holds(wanted[0]):
                    at = place[wanted[0]]
                    scoring.read_vectors(db_path, in_order[at : at + VECTOR_WINDOW_CLUSTERS])
                rows, axis_rows = scoring.score(db_path, run_id, inputs.passages_hashes, wanted)
            with connect(db_path) as con, transaction(con):
                for (source, note), clusters in plan.copies(batch).items():
                    copy = {"from_run": source, "to_run": run_id, "cluster_ids": clusters}
                    store.copy_suggestions(con, **copy, note=note)
                    axis_scores.copy_axis_scores(con, **copy, note=note)
                store.insert_suggestions(
                    con,
                    run_id,
                    rows,
                    model_version=inputs.model_version,
                    training_data_hash=inputs.training_data_hash,
                )
                axis_scores.insert_axis_scores(con, run_id, axis_rows)
            bar.advance(task, len(batch))
