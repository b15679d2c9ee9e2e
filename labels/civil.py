"""Civil example initiatives: the packaged negatives of the "no SVI relevance" outcome.

The paper labels only clusters *on* its scale; the model also has to learn what a cluster with no
SVI relevance reads like (food, wood, tourism, creative industries ...), or its gate would have no
negatives until reviewers have decided some. ``labels/data/civil_examples.yaml`` holds invented
civil initiatives written for training (name, registry-style Technologiefelder, a few short
website-like pages). They are training data only: the evaluation's civil sets are other files
(tests/fixtures/models/civil_*.jsonl), written separately.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from clusterradar.errors import LabelValidationError

PAGE_KINDS_BY_POSITION = ("home", "topics", "news", "other")


@dataclass(slots=True, frozen=True)
class CivilPage:
    page_kind: str
    text: str


@dataclass(slots=True, frozen=True)
class CivilExample:
    id: str
    name: str
    technologiefelder: tuple[str, ...]
    pages: tuple[CivilPage, ...]


def default_civil_examples_path() -> Path:
    return Path(str(resources.files("clusterradar.labels").joinpath("data", "civil_examples.yaml")))


def _page(raw: object, position: int, where: str) -> CivilPage:
    default_kind = PAGE_KINDS_BY_POSITION[min(position, len(PAGE_KINDS_BY_POSITION) - 1)]
    if isinstance(raw, str):
        return CivilPage(default_kind, raw.strip())
    if isinstance(raw, dict) and isinstance(raw.get("text"), str):
        kind = raw.get("kind") or raw.get("page_kind") or default_kind
        return CivilPage(str(kind), raw["text"].strip())
    raise LabelValidationError([f"{where}: page {position + 1} must be a text or {{kind, text}}"])


def parse_civil_examples(text: str, source: str) -> list[CivilExample]:
    data = yaml.safe_load(text) or {}
    rows = data.get("clusters") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise LabelValidationError([f"{source}: expected a list under 'clusters'"])
    out, seen = [], set()
    for i, row in enumerate(rows, start=1):
        where = f"{source}: cluster {i}"
        if not isinstance(row, dict) or not row.get("id") or not row.get("name"):
            raise LabelValidationError([f"{where}: needs 'id' and 'name'"])
        if row["id"] in seen:
            raise LabelValidationError([f"{where}: duplicate id {row['id']!r}"])
        seen.add(row["id"])
        fields = row.get("technologiefelder") or []
        pages = tuple(_page(p, j, where) for j, p in enumerate(row.get("pages") or []))
        out.append(
            CivilExample(
                str(row["id"]),
                str(row["name"]),
                tuple(str(f) for f in fields),
                tuple(p for p in pages if p.text),
            )
        )
    return out


@functools.lru_cache(maxsize=4)
def load_civil_examples(path: str | None = None) -> tuple[CivilExample, ...]:
    """The packaged civil examples (or the file at ``path``); () when the file is absent."""
    target = Path(path) if path else default_civil_examples_path()
    if not target.exists():
        return ()
    return tuple(parse_civil_examples(target.read_text(encoding="utf-8"), str(target)))
