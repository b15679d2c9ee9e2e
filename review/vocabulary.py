"""The taxonomy and the Länder as the review app needs them: German names, which dimensions take
several labels, and validation of the labels, Länder and quarters a reviewer names."""

from __future__ import annotations

import functools

from clusterradar import texts
from clusterradar.errors import InputError
from clusterradar.labels import BUNDESLAENDER, load_taxonomy
from clusterradar.labels.schema import BUNDESLAND_NAMES
from clusterradar.quarters import parse_quarter
from clusterradar.review.messages import input_error


@functools.lru_cache(maxsize=1)
def taxonomy():
    """The packaged taxonomy, loaded (and validated) once per process."""

    return load_taxonomy()


def dimension_keys() -> list[str]:
    return taxonomy().dimension_keys()


def is_multi_label(dimension: str) -> bool:
    return taxonomy().dimension(dimension).multi_label


def dimension_label(dimension: str) -> str:
    try:
        return taxonomy().dimension(dimension).label_de
    except KeyError:
        return dimension


def label_de(dimension: str, key: str) -> str:
    """German label of a category; an unknown key is shown as itself, never hidden."""
    return taxonomy().label_de(dimension, key) or key


def choices(dimension: str) -> list[tuple[str, str]]:
    """(key, German label) of every valid outcome of a dimension, in the taxonomy's order."""
    dim = taxonomy().dimension(dimension)
    return [(c.key, c.label_de) for c in dim.categories]


def land_de(slug: str) -> str:
    """German name of a Land slug; an unknown slug is shown as itself."""
    return BUNDESLAND_NAMES.get(slug, slug)


def check_dimension(dimension: str) -> str:
    if dimension not in dimension_keys():
        keys = ", ".join(dimension_keys())
        raise input_error(
            f"unknown dimension {dimension!r}; use one of {keys}",
            texts.text("error.unknown_dimension", dimension=dimension, keys=keys),
        )
    return dimension


def check_label_key(label: str, dimension: str | None = None) -> str:
    """A label key of `dimension`, or of any dimension when none is given (queue filter)."""
    dimensions = [check_dimension(dimension)] if dimension else dimension_keys()
    if not any(label in taxonomy().keys(d) for d in dimensions):
        where = f"dimension {dimension}" if dimension else "any dimension"
        raise input_error(
            f"unknown label {label!r} in {where}; see 'clusterradar labels show' for the keys",
            texts.text("error.unknown_label_in_dimension", label=label, dimension=dimension)
            if dimension
            else texts.text("error.unknown_label", label=label),
        )
    return label


def check_bundesland(slug: str) -> str:
    """A registry Land slug (``baden-wuerttemberg``, ...)."""
    if slug not in BUNDESLAENDER:
        raise input_error(
            f"unknown Bundesland {slug!r}; use one of {', '.join(BUNDESLAENDER)}",
            texts.text("error.unknown_land", slug=slug),
        )
    return slug


def check_quarter(text: str) -> str:
    """A quarter as the runs store it (``2026Q4``); lower case and ``2026-Q4`` are accepted."""
    try:
        return str(parse_quarter(text.strip().upper()))
    except InputError as exc:
        raise input_error(
            f"not a quarter: {text!r} (expected e.g. 2026Q4)",
            texts.text("error.not_a_quarter", text=text),
        ) from exc


def check_labels(dimension: str, labels: list[str]) -> list[str]:
    """Validate a reviewer's chosen labels: known keys, at least one, exactly one for a
    single-label dimension (intensity). Returns them sorted and without repeats."""
    check_dimension(dimension)
    shown = texts.dimension_label(dimension)
    known = taxonomy().keys(dimension)
    unknown = [key for key in labels if key not in known]
    if unknown:
        keys = ", ".join(known)
        raise input_error(
            f"unknown label {unknown[0]!r} for dimension {dimension}; use one of {keys}",
            texts.text("error.unknown_label_for", label=unknown[0], dimension=shown),
        )
    chosen = sorted(set(labels))
    if not chosen:
        raise input_error(
            f"choose at least one label for dimension {dimension}",
            texts.text("error.choose_label", dimension=shown),
        )
    if not is_multi_label(dimension) and len(chosen) != 1:
        raise input_error(
            f"dimension {dimension} takes exactly one label, got {len(chosen)}",
            texts.text("error.one_label", dimension=shown, n=len(chosen)),
        )
    return chosen
