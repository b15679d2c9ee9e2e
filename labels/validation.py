"""Schema checks for the human-edited label files, reporting 'file:line: message'.

Analysts edit the YAML by hand, so every problem names the file, the line (from the YAML node
marks, not guessed) and the field, and all problems are reported at once rather than the first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from clusterradar.labels.schema import (
    BUNDESLAENDER,
    DIMENSION_KEYS,
    NO_SVI_RELEVANCE,
    default_clusters_path,
    default_taxonomy_path,
)

# libyaml when available (several times faster); both keep line marks on nodes.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SNAKE_KEY = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_KEBAB_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_AS_OF = re.compile(r"^(\d{4})-(\d{2})$")


class _Report:
    """Collects problems for one file, turning YAML nodes into line numbers."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[str] = []

    def add(self, node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(f"{self.path}:{line}: {message}")


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    """The node of a mapping value or sequence item, or None."""
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def _key_node(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return key_node
    return None


def _check_duplicate_keys(node: yaml.Node | None, report: _Report) -> None:
    """YAML silently keeps the last of two equal keys; an analyst's typo must not vanish."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    report.add(key_node, f"duplicate key '{key_node.value}' in one mapping")
                seen.add(key_node.value)
            _check_duplicate_keys(value_node, report)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, report)


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None, list[str]]:
    """Parse a YAML file into (data, node tree, problems)."""
    report = _Report(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.add(None, f"cannot read file ({exc})")
        return None, None, report.problems
    try:
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return None, None, [f"{path}:{line}: invalid YAML ({problem})"]
    _check_duplicate_keys(node, report)
    return data, node, report.problems


def _is_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def is_valid_url(value: Any) -> bool:
    """An absolute http(s) URL with a dotted host and no whitespace."""
    if not isinstance(value, str) or not value or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    host = parts.hostname or ""
    return (
        parts.scheme in {"http", "https"}
        and "." in host
        and not host.startswith(".")
        and not host.endswith(".")
        and ".." not in host
    )


_Check = Callable[[Any], str | None]


def _check_fields(
    report: _Report,
    node: yaml.Node | None,
    data: Any,
    context: str,
    required: dict[str, _Check],
    optional: dict[str, _Check],
) -> bool:
    """Check presence, unknown names and per-field rules of one mapping; False if not a mapping."""
    if not isinstance(data, dict):
        report.add(node, f"{context}: expected a mapping of fields, got {type(data).__name__}")
        return False
    for name in required:
        if name not in data:
            report.add(node, f"{context}: missing required field '{name}'")
    allowed = {**required, **optional}
    for name, value in data.items():
        if name not in allowed:
            report.add(
                _key_node(node, str(name)),
                f"{context}: unknown field '{name}' (allowed: {', '.join(allowed)})",
            )
            continue
        problem = allowed[name](value)
        if problem:
            report.add(_child(node, str(name)) or node, f"{context}: field '{name}' {problem}")
    return True


def _text(value: Any) -> str | None:
    return None if _is_str(value) else f"must be non-empty text, got {value!r}"


def _text_or_empty(value: Any) -> str | None:
    return None if isinstance(value, str) or value is None else f"must be text, got {value!r}"


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {value!r}"


def _text_list(value: Any) -> str | None:
    if value is None or (isinstance(value, list) and all(_is_str(v) for v in value)):
        return None
    return f"must be a list of texts, got {value!r}"


# --- taxonomy -------------------------------------------------------------------------------


def check_taxonomy_data(data: Any, node: yaml.Node | None, path: Path) -> list[str]:
    """Problems of the taxonomy file's content (structure, keys, levels)."""
    report = _Report(path)
    if not isinstance(data, dict) or not isinstance(data.get("dimensions"), list):
        report.add(node, "expected a mapping with a list 'dimensions'")
        return report.problems
    dimensions_node = _child(node, "dimensions")
    seen: dict[str, int] = {}
    for index, raw in enumerate(data["dimensions"]):
        dim_node = _child(dimensions_node, index)
        key = raw.get("key") if isinstance(raw, dict) else None
        context = f"dimensions[{index}]" + (f" (key '{key}')" if key else "")
        ok = _check_fields(
            report,
            dim_node,
            raw,
            context,
            required={
                "key": _text,
                "label_de": _text,
                "label_en": _text,
                "description": _text,
                "ordinal": _boolean,
                "multi_label": _boolean,
                "categories": lambda v: (
                    None if isinstance(v, list) and v else "must be a non-empty list"
                ),
            },
            optional={},
        )
        if not ok or not isinstance(key, str):
            continue
        line = (dim_node.start_mark.line + 1) if dim_node is not None else 1
        if key not in DIMENSION_KEYS:
            report.add(
                _child(dim_node, "key"),
                f"{context}: unknown dimension key '{key}' (known: {', '.join(DIMENSION_KEYS)})",
            )
        elif key in seen:
            report.add(
                _child(dim_node, "key"),
                f"{context}: duplicate dimension key '{key}' (first at line {seen[key]})",
            )
        seen.setdefault(key, line)
        if key == "intensity" and (
            raw.get("ordinal") is not True or raw.get("multi_label") is not False
        ):
            report.add(
                dim_node, f"{context}: intensity must be ordinal: true and multi_label: false"
            )
        if isinstance(raw.get("categories"), list):
            _check_categories(report, dim_node, raw, context)
    for key in DIMENSION_KEYS:
        if key not in seen:
            report.add(dimensions_node or node, f"dimensions: missing dimension '{key}'")
    return report.problems


def _check_categories(report: _Report, dim_node: yaml.Node | None, raw: dict, context: str) -> None:
    categories_node = _child(dim_node, "categories")
    ordinal = raw.get("ordinal") is True
    seen: dict[str, int] = {}
    levels: dict[int, str] = {}
    for index, category in enumerate(raw["categories"]):
        cat_node = _child(categories_node, index)
        key = category.get("key") if isinstance(category, dict) else None
        cat_context = f"{context}.categories[{index}]" + (f" (key '{key}')" if key else "")
        ok = _check_fields(
            report,
            cat_node,
            category,
            cat_context,
            required={"key": _text, "label_de": _text, "label_en": _text, "description": _text},
            optional={
                "examples": _text_list,
                "level": lambda v: (
                    None
                    if isinstance(v, int) and not isinstance(v, bool) and v >= 1
                    else "must be a whole number >= 1"
                ),
                "paper": _boolean,
            },
        )
        if not ok or not isinstance(key, str):
            continue
        key_node = _child(cat_node, "key")
        if not _SNAKE_KEY.match(key):
            report.add(key_node, f"{cat_context}: key '{key}' must be ASCII snake_case")
        if key in seen:
            report.add(
                key_node,
                f"{cat_context}: duplicate category key '{key}' (first at line {seen[key]})",
            )
        seen.setdefault(key, (key_node.start_mark.line + 1) if key_node is not None else 1)
        paper = category.get("paper", True) is not False
        level = category.get("level")
        if key == NO_SVI_RELEVANCE and paper:
            report.add(
                cat_node,
                f"{cat_context}: '{NO_SVI_RELEVANCE}' is not on the paper's scale; "
                "mark it paper: false",
            )
        if ordinal and paper:
            if not isinstance(level, int):
                report.add(
                    cat_node, f"{cat_context}: missing required field 'level' (ordinal dimension)"
                )
            elif level in levels:
                report.add(
                    _child(cat_node, "level"),
                    f"{cat_context}: level {level} already used by '{levels[level]}'",
                )
            else:
                levels[level] = key
        elif level is not None:
            report.add(
                _child(cat_node, "level"),
                f"{cat_context}: field 'level' is only allowed for the paper's categories "
                "of an ordinal dimension",
            )
    if ordinal and levels and sorted(levels) != list(range(1, len(levels) + 1)):
        report.add(
            categories_node,
            f"{context}: levels must run 1..{len(levels)} without gaps, got {sorted(levels)}",
        )


def check_taxonomy_file(path: Path) -> tuple[Any, list[str]]:
    """(data, problems) of one taxonomy file."""
    data, node, problems = read_yaml(path)
    if data is None and problems:
        return None, problems
    return data, problems + check_taxonomy_data(data, node, path)


# --- labelled clusters -------------------------------------------------------------------------


def _bundeslaender(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return f"must be a non-empty list of Bundesland slugs, got {value!r}"
    unknown = [v for v in value if v not in BUNDESLAENDER]
    if unknown:
        return (
            f"has unknown Bundesland slug(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(BUNDESLAENDER)})"
        )
    if len(set(value)) != len(value):
        return "lists a Bundesland twice"
    return None


def _website(value: Any) -> str | None:
    if value is None or is_valid_url(value):
        return None
    return f"is a malformed URL {value!r} (expected http(s)://host/...; null for none)"


def _as_of(value: Any) -> str | None:
    if isinstance(value, dt.date):
        return f"must be a month 'YYYY-MM' in quotes, got the date {value.isoformat()}"
    match = _AS_OF.match(value) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12:
        return f"must be a month 'YYYY-MM', got {value!r}"
    return None


def _cluster_id(value: Any) -> str | None:
    if isinstance(value, str) and _KEBAB_ID.match(value):
        return None
    return f"must be an ASCII kebab-case slug like 'photonics-bw', got {value!r}"


def check_clusters_data(
    data: Any, node: yaml.Node | None, path: Path, intensity_levels: dict[str, int | None]
) -> list[str]:
    """Problems of the labelled-clusters file; `intensity_levels` maps each intensity key of the
    taxonomy to its level (None for outcomes outside the paper's scale)."""
    report = _Report(path)
    if not isinstance(data, dict) or not isinstance(data.get("clusters"), list):
        report.add(node, "expected a mapping with a list 'clusters'")
        return report.problems
    paper_keys = [k for k, level in intensity_levels.items() if level is not None]

    def intensity(value: Any) -> str | None:
        if not isinstance(value, str) or value not in intensity_levels:
            return f"has unknown category key {value!r} (known: {', '.join(paper_keys)})"
        if intensity_levels[value] is None:
            return (
                f"'{value}' is not on the paper's scale; labelled clusters may only use "
                f"levels 1..{len(paper_keys)} ({', '.join(paper_keys)})"
            )
        return None

    clusters_node = _child(node, "clusters")
    if not data["clusters"]:
        report.add(clusters_node or node, "'clusters' is empty: list at least one labelled cluster")
    ids: dict[str, int] = {}
    names: dict[str, int] = {}
    for index, raw in enumerate(data["clusters"]):
        entry_node = _child(clusters_node, index)
        cluster_id = raw.get("id") if isinstance(raw, dict) else None
        context = f"clusters[{index}]" + (
            f" (id '{cluster_id}')" if isinstance(cluster_id, str) else ""
        )
        ok = _check_fields(
            report,
            entry_node,
            raw,
            context,
            required={
                "id": _cluster_id,
                "name": _text,
                "bundeslaender": _bundeslaender,
                "intensity": intensity,
                "go_cluster": _boolean,
                "teilbereiche": _text_or_empty,
                "website": _website,
                "source": _text,
                "as_of": _as_of,
            },
            optional={"status_notes": _text_list},
        )
        if not ok:
            continue
        line = (entry_node.start_mark.line + 1) if entry_node is not None else 1
        if isinstance(cluster_id, str):
            if cluster_id in ids:
                report.add(
                    _child(entry_node, "id"),
                    f"{context}: duplicate id '{cluster_id}' (first at line {ids[cluster_id]})",
                )
            ids.setdefault(cluster_id, line)
        name = raw.get("name")
        if _is_str(name):
            folded = name.strip().casefold()
            if folded in names:
                report.add(
                    _child(entry_node, "name"),
                    f"{context}: duplicate name {name!r} (first at line {names[folded]})",
                )
            names.setdefault(folded, line)
    return report.problems


def check_clusters_file(
    path: Path, intensity_levels: dict[str, int | None]
) -> tuple[Any, list[str]]:
    """(data, problems) of one labelled-clusters file."""
    data, node, problems = read_yaml(path)
    if data is None and problems:
        return None, problems
    return data, problems + check_clusters_data(data, node, path, intensity_levels)


def _intensity_levels(taxonomy_data: Any) -> dict[str, int | None]:
    """Best-effort intensity keys from a possibly broken taxonomy, so cluster checks still run."""
    levels: dict[str, int | None] = {}
    dimensions = taxonomy_data.get("dimensions") if isinstance(taxonomy_data, dict) else None
    for dim in dimensions if isinstance(dimensions, list) else []:
        if isinstance(dim, dict) and dim.get("key") == "intensity":
            for cat in dim.get("categories") or []:
                if isinstance(cat, dict) and isinstance(cat.get("key"), str):
                    paper = cat.get("paper", True) is not False
                    level = cat.get("level")
                    levels[cat["key"]] = level if paper and isinstance(level, int) else None
    return levels


def validate_label_files(
    taxonomy_path: Path | str | None = None, clusters_path: Path | str | None = None
) -> list[str]:
    """Every problem of the taxonomy and the labelled-clusters file as 'path:line: message'
    (empty when both are valid). Defaults are the packaged files."""
    taxonomy_file = Path(taxonomy_path) if taxonomy_path else default_taxonomy_path()
    clusters_file = Path(clusters_path) if clusters_path else default_clusters_path()
    taxonomy_data, problems = check_taxonomy_file(taxonomy_file)
    levels = _intensity_levels(taxonomy_data)
    if not levels:
        problems.append(
            f"{taxonomy_file}:1: no intensity categories; cannot check the clusters' labels"
        )
        return problems
    _, cluster_problems = check_clusters_file(clusters_file, levels)
    return problems + cluster_problems
