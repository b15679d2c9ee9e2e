"""The paper's hand-labelled cluster initiatives (Table 2) as typed records.

These 33 labels are the ground truth the models are evaluated against and the first effective
classification `clusterradar init` loads into the warehouse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from clusterradar.errors import LabelValidationError
from clusterradar.labels.schema import default_clusters_path, default_taxonomy_path
from clusterradar.labels.taxonomy import Taxonomy, load_taxonomy
from clusterradar.labels.validation import check_clusters_file


@dataclass(slots=True, frozen=True)
class LabelledCluster:
    """One labelled initiative. `website` None means the paper lists no website;
    `as_of` is 'YYYY-MM', the month the label describes."""

    id: str
    name: str
    bundeslaender: list[str]
    intensity: str
    go_cluster: bool
    teilbereiche: str
    website: str | None
    status_notes: list[str] = field(default_factory=list)
    source: str = ""
    as_of: str = ""

    @property
    def valid_from(self) -> dt.date:
        """First day of the `as_of` month: when the label starts to be in force."""
        year, month = self.as_of.split("-")[:2]
        return dt.date(int(year), int(month), 1)


def clusters_from_data(data: dict[str, Any]) -> list[LabelledCluster]:
    """Build typed records from already validated YAML data."""
    return [
        LabelledCluster(
            id=raw["id"],
            name=raw["name"],
            bundeslaender=list(raw["bundeslaender"]),
            intensity=raw["intensity"],
            go_cluster=bool(raw["go_cluster"]),
            teilbereiche=str(raw["teilbereiche"] or "").strip(),
            website=raw["website"] or None,
            status_notes=list(raw.get("status_notes") or []),
            source=raw["source"],
            as_of=str(raw["as_of"]),
        )
        for raw in data["clusters"]
    ]


def load_labelled_clusters(
    path: Path | str | None = None, taxonomy: Taxonomy | None = None
) -> list[LabelledCluster]:
    """Read and validate the labelled clusters (default: the packaged file), checking intensity
    keys against `taxonomy` (default: the packaged taxonomy).

    Cached per file content; each call returns a new list. Raises
    :class:`~clusterradar.errors.LabelValidationError` listing every problem.
    """

    taxonomy = taxonomy or load_taxonomy()
    levels = tuple((c.key, c.level) for c in taxonomy.dimension("intensity").categories)
    resolved = (Path(path) if path else default_clusters_path()).resolve()
    stat = resolved.stat() if resolved.is_file() else None
    key = (str(resolved), stat.st_mtime_ns if stat else 0, stat.st_size if stat else -1)
    return list(_load_clusters_cached(*key, levels))


@lru_cache(maxsize=16)
def _load_clusters_cached(
    path: str, mtime_ns: int, size: int, levels: tuple[tuple[str, int | None], ...]
) -> tuple[LabelledCluster, ...]:
    data, problems = check_clusters_file(Path(path), intensity_levels=dict(levels))
    if problems:
        raise LabelValidationError(problems)
    return tuple(clusters_from_data(data))


def label_files_hash(
    taxonomy_path: Path | str | None = None, clusters_path: Path | str | None = None
) -> str:
    """sha256 over both label files' bytes: identifies one state of the labels, so a rerun of
    `clusterradar init` on unchanged files is recognised (defaults: the packaged files)."""

    digest = hashlib.sha256()
    for tag, path in (
        (b"taxonomy", Path(taxonomy_path) if taxonomy_path else default_taxonomy_path()),
        (b"clusters", Path(clusters_path) if clusters_path else default_clusters_path()),
    ):
        content = path.read_bytes()
        digest.update(tag + b"\0" + str(len(content)).encode() + b"\0" + content)
    return digest.hexdigest()
