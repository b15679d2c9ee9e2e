"""The taxonomy as the review app needs it: German names, which dimensions take several labels,
and validation of the labels a reviewer chooses."""

from __future__ import annotations

import functools

from clusterradar.errors import InputError


@functools.lru_cache(maxsize=1)
def taxonomy():
    """The packaged taxonomy, loaded (and validated) once per process."""
    from clusterradar.labels import load_taxonomy

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


def check_dimension(dimension: str) -> str:
    if dimension not in dimension_keys():
        raise InputError(
            f"unknown dimension {dimension!r}; use one of {', '.join(dimension_keys())}"
        )
    return dimension


def check_labels(dimension: str, labels: list[str]) -> list[str]:
    """Validate a reviewer's chosen labels: known keys, at least one, exactly one for a
    single-label dimension (intensity). Returns them sorted and without repeats."""
    check_dimension(dimension)
    known = taxonomy().keys(dimension)
    unknown = [key for key in labels if key not in known]
    if unknown:
        raise InputError(
            f"unknown label {unknown[0]!r} for dimension {dimension}; use one of {', '.join(known)}"
        )
    chosen = sorted(set(labels))
    if not chosen:
        raise InputError(f"choose at least one label for dimension {dimension}")
    if not is_multi_label(dimension) and len(chosen) != 1:
        raise InputError(f"dimension {dimension} takes exactly one label, got {len(chosen)}")
    return chosen
