"""Our own thematic annotation of the 33 labelled clusters, the yardstick of thematic suggestions.

The paper labels only the intensity of each initiative. For the three multi-label dimensions of
Table 1 (``function_logic``, ``application_fields``, ``svi_domains``) Clusterradar keeps its own
annotation in ``labels/data/thematic_annotations.yaml``, written blind to model outputs from the
paper's definitions and Table 2's Teilbereiche. It exists to *evaluate* thematic suggestions and
must never be used to train or tune them.

Loading validates the file against the labelled clusters and the taxonomy and reports every
problem as 'file:line: message', like the other label files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from clusterradar.errors import LabelValidationError
from clusterradar.labels.clusters import load_labelled_clusters
from clusterradar.labels.taxonomy import Taxonomy, load_taxonomy
from clusterradar.labels.validation import _child, read_yaml

THEMATIC_DIMENSIONS = ("function_logic", "application_fields", "svi_domains")
_TOP_LEVEL_FIELDS = ("annotated_on", "annotations")


@dataclass(slots=True, frozen=True)
class ThematicAnnotation:
    """One cluster's annotation. `labels` maps each of THEMATIC_DIMENSIONS to its category keys
    (possibly empty, in the file's order); `basis` says what the annotation rests on."""

    cluster_id: str
    labels: Mapping[str, tuple[str, ...]]
    basis: str

    def keys(self, dimension: str) -> tuple[str, ...]:
        """The category keys annotated for `dimension` (KeyError for a non-thematic one)."""
        return self.labels[dimension]


def default_thematic_annotations_path() -> Path:
    """The thematic annotation file shipped with the package."""
    return Path(
        str(resources.files("clusterradar.labels").joinpath("data", "thematic_annotations.yaml"))
    )


def load_thematic_annotations(
    path: Path | str | None = None,
    *,
    clusters_path: Path | str | None = None,
    taxonomy_path: Path | str | None = None,
) -> dict[str, ThematicAnnotation]:
    """Read and validate the thematic annotations (default: the packaged file) against the
    labelled clusters and the taxonomy (default: the packaged files).

    Returns cluster id -> annotation, in file order, covering exactly the labelled clusters.
    Raises :class:`~clusterradar.errors.LabelValidationError` listing every problem (unknown or
    duplicate cluster id, missing cluster, unknown dimension or field, unknown category key).
    """
    resolved = Path(path) if path else default_thematic_annotations_path()
    taxonomy = load_taxonomy(taxonomy_path)
    cluster_ids = [c.id for c in load_labelled_clusters(clusters_path, taxonomy)]
    data, node, problems = read_yaml(resolved)
    if data is None and problems:
        raise LabelValidationError(problems)
    problems += _check(data, node, resolved, taxonomy, cluster_ids)
    if problems:
        raise LabelValidationError(problems)
    return {
        raw["cluster_id"]: ThematicAnnotation(
            cluster_id=raw["cluster_id"],
            labels=MappingProxyType({d: tuple(raw[d]) for d in THEMATIC_DIMENSIONS}),
            basis=raw["basis"].strip(),
        )
        for raw in data["annotations"]
    }


def _line(node: yaml.Node | None) -> int:
    """1-based line of `node` (1 when unknown)."""
    return node.start_mark.line + 1 if node is not None else 1


def _check(
    data: Any, node: yaml.Node | None, path: Path, taxonomy: Taxonomy, cluster_ids: list[str]
) -> list[str]:
    """Every problem of the file's content, as 'file:line: message'."""
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        return [f"{path}:{_line(node)}: expected a mapping with a list 'annotations'"]
    for name in data:
        if name not in _TOP_LEVEL_FIELDS:
            problems.append(
                f"{path}:{_line(_child(node, str(name)))}: unknown top-level field '{name}' "
                f"(allowed: {', '.join(_TOP_LEVEL_FIELDS)})"
            )
    entries_node = _child(node, "annotations")
    known_ids = set(cluster_ids)
    first_line: dict[str, int] = {}
    for index, raw in enumerate(data["annotations"]):
        entry_node = _child(entries_node, index)
        line = _line(entry_node)
        cluster_id = raw.get("cluster_id") if isinstance(raw, dict) else None
        context = f"annotations[{index}]" + (
            f" (cluster_id '{cluster_id}')" if isinstance(cluster_id, str) else ""
        )
        where = f"{path}:{line}: {context}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: expected a mapping, got {type(raw).__name__}")
            continue
        problems += _check_entry(raw, entry_node, path, context, taxonomy)
        if not isinstance(cluster_id, str):
            continue
        if cluster_id not in known_ids:
            problems.append(f"{where}: unknown cluster id '{cluster_id}' (not in clusters.yaml)")
        elif cluster_id in first_line:
            problems.append(
                f"{where}: duplicate cluster id '{cluster_id}' (first at line "
                f"{first_line[cluster_id]})"
            )
        first_line.setdefault(cluster_id, line)
    missing = [cid for cid in cluster_ids if cid not in first_line]
    if missing:
        problems.append(
            f"{path}:{_line(entries_node)}: annotations: missing labelled cluster(s) "
            f"{', '.join(repr(m) for m in missing)}"
        )
    return problems


def _check_entry(
    raw: dict, entry_node: yaml.Node | None, path: Path, context: str, taxonomy: Taxonomy
) -> list[str]:
    """Problems of one annotation entry: required fields, dimensions and category keys."""
    problems: list[str] = []
    where = f"{path}:{_line(entry_node)}: {context}"
    for name in ("cluster_id", "basis", *THEMATIC_DIMENSIONS):
        if name not in raw:
            problems.append(f"{where}: missing required field '{name}'")
    for name in ("cluster_id", "basis"):
        if name in raw and not (isinstance(raw[name], str) and raw[name].strip()):
            problems.append(f"{where}: field '{name}' must be non-empty text, got {raw[name]!r}")
    for name, value in raw.items():
        if name in ("cluster_id", "basis"):
            continue
        if name not in THEMATIC_DIMENSIONS:
            problems.append(
                f"{where}: unknown dimension '{name}' "
                f"(thematic dimensions: {', '.join(THEMATIC_DIMENSIONS)})"
            )
            continue
        at = f"{path}:{_line(_child(entry_node, name))}: {context}"
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(
                f"{at}: '{name}' must be a list of category keys ([] for none), got {value!r}"
            )
            continue
        known = taxonomy.keys(name)
        for key in value:
            if key not in known:
                problems.append(
                    f"{at}: unknown category key '{key}' in '{name}' (known: {', '.join(known)})"
                )
        if len(set(value)) != len(value):
            problems.append(f"{at}: '{name}' lists a category twice")
    return problems
