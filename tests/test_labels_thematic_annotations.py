"""Our thematic annotation of the labelled clusters loads, covers them exactly, and rejects
broken files with one line naming file, line and entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterradar.errors import ClusterradarError, LabelValidationError
from clusterradar.labels import load_labelled_clusters, load_taxonomy
from clusterradar.labels.thematic_annotations import (
    THEMATIC_DIMENSIONS,
    ThematicAnnotation,
    default_thematic_annotations_path,
    load_thematic_annotations,
)

PACKAGED = default_thematic_annotations_path()
FIRST_ENTRY = """  - cluster_id: photonics-bw
    function_logic: [transformation_future, protection_defence]
    application_fields: []
    svi_domains: [digital_sovereignty, public_safety_civil_protection]
"""


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the packaged file with `old` replaced once by `new`."""
    text = PACKAGED.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in the packaged file"
    path = tmp_path / "thematic_annotations.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, marker: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


def test_packaged_annotations_cover_exactly_the_labelled_clusters() -> None:
    annotations = load_thematic_annotations()

    assert PACKAGED.parent.name == "data" and PACKAGED.is_file()
    assert sorted(annotations) == sorted(c.id for c in load_labelled_clusters())
    assert len(annotations) == 33
    assert all(isinstance(a, ThematicAnnotation) for a in annotations.values())


def test_packaged_annotations_use_only_taxonomy_keys_and_state_their_basis() -> None:
    taxonomy = load_taxonomy()
    for cluster_id, annotation in load_thematic_annotations().items():
        assert annotation.cluster_id == cluster_id
        assert set(annotation.labels) == set(THEMATIC_DIMENSIONS)
        for dimension in THEMATIC_DIMENSIONS:
            assert set(annotation.keys(dimension)) <= set(taxonomy.keys(dimension))
        assert len(annotation.basis) > 10, cluster_id


def test_annotation_records_are_read_only() -> None:
    annotation = load_thematic_annotations()["cyberforum"]

    assert annotation.keys("application_fields") == ("cybersecurity",)
    with pytest.raises(AttributeError):
        annotation.basis = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        annotation.labels["svi_domains"] = ()  # type: ignore[index]


@pytest.mark.parametrize(
    ("old", "new", "marker", "expected"),
    [
        (
            "cluster_id: cyberlago",
            "cluster_id: cyberlago-ev",
            "cyberlago-ev",
            "annotations[6] (cluster_id 'cyberlago-ev'): unknown cluster id 'cyberlago-ev'",
        ),
        (
            "    basis: \"Teilbereiche: 'IT-Sicherheit'\"",
            "    basis: \"Teilbereiche: 'IT-Sicherheit'\"\n    intensity: [primarily_security]",
            "cluster_id: cybr360",
            "(cluster_id 'cybr360'): unknown dimension 'intensity' (thematic dimensions: "
            "function_logic, application_fields, svi_domains)",
        ),
        (
            "    function_logic: [transformation_future]\n    application_fields: []\n"
            "    svi_domains: [digital_sovereignty]",
            "    function_logic: [quantum_future]\n    application_fields: []\n"
            "    svi_domains: [digital_sovereignty]",
            "[quantum_future]",
            "(cluster_id 'optecbb'): unknown category key 'quantum_future' in 'function_logic'",
        ),
        (
            "    application_fields: [aerospace_space_defence]\n    svi_domains: []\n"
            '    basis: "Teilbereiche of members',
            "    application_fields: aerospace_space_defence\n    svi_domains: []\n"
            '    basis: "Teilbereiche of members',
            "application_fields: aerospace_space_defence",
            "(cluster_id 'bodenseeairea'): 'application_fields' must be a list of category keys",
        ),
        (
            "    application_fields: [cybersecurity]\n    svi_domains: [digital_sovereignty]\n"
            "    basis: \"Teilbereiche: 'IT- und Cybersicherheit'\"\n\n  - cluster_id: cyberlago",
            "    application_fields: [cybersecurity]\n"
            "    basis: \"Teilbereiche: 'IT- und Cybersicherheit'\"\n\n  - cluster_id: cyberlago",
            "cluster_id: cyberforum",
            "(cluster_id 'cyberforum'): missing required field 'svi_domains'",
        ),
    ],
    ids=[
        "unknown-cluster-id",
        "unknown-dimension",
        "unknown-category-key",
        "not-a-list",
        "missing-dimension",
    ],
)
def test_broken_annotation_file_names_file_line_and_entry(
    tmp_path: Path, old: str, new: str, marker: str, expected: str
) -> None:
    path = _variant(tmp_path, old, new)

    with pytest.raises(LabelValidationError) as caught:
        load_thematic_annotations(path)

    line = _line_of(path, marker)
    problems = [p for p in caught.value.problems if expected in p]
    assert problems, caught.value.problems
    assert problems[0].startswith(f"{path}:{line}: ")
    assert isinstance(caught.value, ClusterradarError)


def test_duplicate_cluster_id_points_at_the_first_entry(tmp_path: Path) -> None:
    path = tmp_path / "thematic_annotations.yaml"
    path.write_text(
        PACKAGED.read_text(encoding="utf-8") + "\n" + FIRST_ENTRY + "    basis: again\n",
        encoding="utf-8",
    )

    with pytest.raises(LabelValidationError) as caught:
        load_thematic_annotations(path)

    first = _line_of(path, "  - cluster_id: photonics-bw")
    second = _line_of(path, "basis: again") - 4
    assert str(caught.value) == (
        f"{path}:{second}: annotations[33] (cluster_id 'photonics-bw'): "
        f"duplicate cluster id 'photonics-bw' (first at line {first})"
    )


def test_annotation_file_without_a_labelled_cluster_names_the_missing_one(tmp_path: Path) -> None:
    text = PACKAGED.read_text(encoding="utf-8")
    start = text.index("  - cluster_id: cast\n")
    end = text.index("  - cluster_id: ruestungscluster-niedersachsen\n")
    path = tmp_path / "thematic_annotations.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")

    with pytest.raises(LabelValidationError) as caught:
        load_thematic_annotations(path)

    assert str(caught.value) == (
        f"{path}:{_line_of(path, '  - cluster_id: photonics-bw')}: annotations: "
        "missing labelled cluster(s) 'cast'"
    )


def test_unknown_cluster_id_is_one_clear_line_plus_the_cluster_it_displaced(
    tmp_path: Path,
) -> None:
    path = _variant(tmp_path, "cluster_id: optence", "cluster_id: optence-ev")

    with pytest.raises(LabelValidationError) as caught:
        load_thematic_annotations(path)

    assert len(caught.value.problems) == 2
    assert "unknown cluster id 'optence-ev' (not in clusters.yaml)" in caught.value.problems[0]
    assert caught.value.problems[1].endswith("missing labelled cluster(s) 'optence'")
    assert all("\n" not in p for p in caught.value.problems)


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _variant(
        tmp_path, "    basis: \"Teilbereiche: 'IT-Sicherheit'\"", "    basis: [unclosed"
    )

    with pytest.raises(LabelValidationError, match=r"invalid YAML") as caught:
        load_thematic_annotations(path)

    assert str(caught.value).startswith(f"{path}:")
