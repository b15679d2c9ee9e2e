"""The typology of the paper's Table 1 as typed, read-only data.

Every stage names categories by their stable keys (``intensity`` / ``primarily_security``);
German and English labels and descriptions live only in ``labels/data/taxonomy.yaml`` so an
analyst can reword them without touching code. Loading always validates the file first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from clusterradar.errors import LabelValidationError
from clusterradar.labels.schema import (
    default_taxonomy_path,
)
from clusterradar.labels.validation import check_taxonomy_file


@dataclass(slots=True, frozen=True)
class Category:
    """One category of a dimension. `level` is set for the paper's ordinal intensity scale only;
    `paper` is False for outcomes we added (``no_svi_relevance``)."""

    key: str
    label_de: str
    label_en: str
    description: str
    examples: list[str] = field(default_factory=list)
    level: int | None = None
    paper: bool = True


@dataclass(slots=True, frozen=True)
class Dimension:
    """One way of classifying a cluster (a row of Table 1)."""

    key: str
    label_de: str
    label_en: str
    description: str
    ordinal: bool
    multi_label: bool
    categories: list[Category]

    def category(self, key: str) -> Category:
        for category in self.categories:
            if category.key == key:
                return category
        raise KeyError(f"dimension {self.key!r} has no category {key!r}")

    def keys(self, *, paper_only: bool = False) -> list[str]:
        return [c.key for c in self.categories if c.paper or not paper_only]


@dataclass(slots=True, frozen=True)
class Taxonomy:
    """The four dimensions, in the paper's order."""

    dimensions: list[Dimension]
    source: str = ""

    def dimension(self, key: str) -> Dimension:
        for dimension in self.dimensions:
            if dimension.key == key:
                return dimension
        raise KeyError(f"unknown dimension {key!r} (known: {', '.join(self.dimension_keys())})")

    def dimension_keys(self) -> list[str]:
        return [d.key for d in self.dimensions]

    def keys(self, dimension: str, *, paper_only: bool = False) -> list[str]:
        """Every valid outcome of `dimension` (for intensity including ``no_svi_relevance``;
        ``paper_only=True`` gives just the paper's scale)."""
        return self.dimension(dimension).keys(paper_only=paper_only)

    def label_de(self, dimension: str, key: str) -> str | None:
        """German label of a category, or None for a key this taxonomy does not know."""
        try:
            return self.dimension(dimension).category(key).label_de
        except KeyError:
            return None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def taxonomy_from_data(data: dict[str, Any]) -> Taxonomy:
    """Build the typed taxonomy from already validated YAML data."""
    dimensions = []
    for raw in data["dimensions"]:
        categories = [
            Category(
                key=c["key"],
                label_de=c["label_de"],
                label_en=c["label_en"],
                description=str(c["description"]).strip(),
                examples=list(c.get("examples") or []),
                level=c.get("level"),
                paper=bool(c.get("paper", True)),
            )
            for c in raw["categories"]
        ]
        dimensions.append(
            Dimension(
                key=raw["key"],
                label_de=raw["label_de"],
                label_en=raw["label_en"],
                description=str(raw["description"]).strip(),
                ordinal=bool(raw["ordinal"]),
                multi_label=bool(raw["multi_label"]),
                categories=categories,
            )
        )
    return Taxonomy(dimensions=dimensions, source=str(data.get("source") or ""))


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Read and validate the taxonomy (default: the packaged file).

    Cached per file content (path, size, modification time), so callers may call it freely;
    treat the result as read-only. Raises :class:`~clusterradar.errors.LabelValidationError`
    listing every problem as 'file:line: message'.
    """
    resolved = (Path(path) if path else default_taxonomy_path()).resolve()
    stat = resolved.stat() if resolved.is_file() else None
    return _load_taxonomy_cached(
        str(resolved), stat.st_mtime_ns if stat else 0, stat.st_size if stat else -1
    )


@lru_cache(maxsize=16)
def _load_taxonomy_cached(path: str, mtime_ns: int, size: int) -> Taxonomy:
    data, problems = check_taxonomy_file(Path(path))
    if problems:
        raise LabelValidationError(problems)
    return taxonomy_from_data(data)
