"""Label files are checked against the schema; every problem names file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clusterradar.errors import LabelValidationError
from clusterradar.labels import (
    default_taxonomy_path,
    load_labelled_clusters,
    validate_label_files,
)

LABEL_FIXTURES = Path(__file__).parent / "fixtures" / "labels"


def _line_of(path: Path, marker: str) -> int:
    """1-based line of the first line containing `marker` (so tests don't hard-code numbers)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


@pytest.mark.parametrize(
    ("fixture", "marker", "expected"),
    [
        ("unknown_category.yaml", "mostly_defence", "unknown category key 'mostly_defence'"),
        ("malformed_url.yaml", "htp:/", "field 'website' is a malformed URL"),
        (
            "unknown_bundesland.yaml",
            "baden-württemberg",
            "unknown Bundesland slug(s) 'baden-württemberg'",
        ),
        (
            "not_on_paper_scale.yaml",
            "no_svi_relevance",
            "'no_svi_relevance' is not on the paper's scale",
        ),
    ],
)
def test_field_problem_names_file_line_and_field(fixture, marker, expected):
    path = LABEL_FIXTURES / fixture
    problems = validate_label_files(clusters_path=path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:{_line_of(path, marker)}: ")
    assert expected in problems[0]


def test_duplicate_id_points_at_the_second_use_and_names_the_first():
    path = LABEL_FIXTURES / "duplicate_id.yaml"
    problems = validate_label_files(clusters_path=path)
    assert problems == [
        f"{path}:13: clusters[1] (id 'alpha-cluster'): "
        "duplicate id 'alpha-cluster' (first at line 3)"
    ]


def test_missing_required_field_names_the_entry_and_field():
    path = LABEL_FIXTURES / "missing_field.yaml"
    problems = validate_label_files(clusters_path=path)
    line = _line_of(path, "id: beta-cluster")
    assert problems == [
        f"{path}:{line}: clusters[1] (id 'beta-cluster'): missing required field 'intensity'"
    ]


def test_loading_an_invalid_file_raises_with_every_problem():
    with pytest.raises(LabelValidationError) as caught:
        load_labelled_clusters(LABEL_FIXTURES / "unknown_category.yaml")
    assert "mostly_defence" in caught.value.problems[0]


def test_taxonomy_problems_are_reported_with_lines(tmp_path):
    text = default_taxonomy_path().read_text(encoding="utf-8")
    broken = text.replace("  - key: svi_domains", "  - key: svi_domain", 1).replace(
        '        label_de: "Schutz und Abwehr"\n', "", 1
    )
    path = tmp_path / "taxonomy.yaml"
    path.write_text(broken, encoding="utf-8")
    problems = validate_label_files(taxonomy_path=path)
    joined = "\n".join(problems)
    assert f"{path}:{_line_of(path, 'key: svi_domain')}: " in joined
    assert "unknown dimension key 'svi_domain'" in joined
    assert "missing dimension 'svi_domains'" in joined
    assert f"{path}:{_line_of(path, 'key: protection_defence')}: " in joined
    assert "missing required field 'label_de'" in joined


def test_invalid_yaml_is_reported_with_its_line(tmp_path):
    path = tmp_path / "clusters.yaml"
    path.write_text("clusters:\n  - id: a\n    name: [unclosed\n", encoding="utf-8")
    problems = validate_label_files(clusters_path=path)
    assert len(problems) == 1 and problems[0].startswith(f"{path}:")
    assert "invalid YAML" in problems[0]


def test_labels_check_exits_1_listing_problems(cli):
    path = LABEL_FIXTURES / "duplicate_id.yaml"
    result = cli("labels", "check", "--labels-file", path)
    assert result.exit_code == 1
    assert f"{path}:13: " in result.stderr
    assert "duplicate id 'alpha-cluster'" in result.stderr


def test_labels_check_exits_0_with_summary(cli):
    result = cli("labels", "check")
    assert result.exit_code == 0
    assert "33 labelled clusters" in result.stdout
    assert "12 × primarily_security" in result.stdout


def test_labels_check_accepts_an_edited_copy(cli):
    result = cli("labels", "check", "--labels-file", LABEL_FIXTURES / "valid_clusters.yaml")
    assert result.exit_code == 0, result.stderr
    assert "2 labelled clusters" in result.stdout


def test_labels_show_json_parses_with_taxonomy_and_clusters(cli):
    result = cli("labels", "show", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [d["key"] for d in data["dimensions"]] == [
        "intensity",
        "function_logic",
        "application_fields",
        "svi_domains",
    ]
    assert len(data["clusters"]) == 33
    assert data["clusters"][0]["id"] == "photonics-bw"


def test_labels_show_one_dimension(cli):
    result = cli("labels", "show", "--json", "--dimension", "svi_domains")
    data = json.loads(result.stdout)
    assert [d["key"] for d in data["dimensions"]] == ["svi_domains"]
    assert data["clusters"] == []
    table = cli("labels", "show", "--dimension", "function_logic")
    assert table.exit_code == 0 and "Schutz und Abwehr" in table.stdout
    unknown = cli("labels", "show", "--dimension", "colour")
    assert unknown.exit_code == 1 and "unknown dimension 'colour'" in unknown.stderr


@pytest.mark.parametrize(
    "fixture",
    [
        "unknown_category.yaml",
        "duplicate_id.yaml",
        "malformed_url.yaml",
        "missing_field.yaml",
        "unknown_bundesland.yaml",
        "not_on_paper_scale.yaml",
    ],
)
def test_labels_check_fails_for_every_error_kind_with_file_and_line(cli, fixture):
    path = LABEL_FIXTURES / fixture
    result = cli("labels", "check", "--labels-file", path)
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:") and first.split(":")[1].isdigit()
    assert result.stdout == ""


def test_an_empty_clusters_list_is_a_problem_not_an_ok(cli, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("clusters: []\n", encoding="utf-8")
    result = cli("labels", "check", "--labels-file", empty)
    assert result.exit_code == 1
    assert f"{empty}:1: 'clusters' is empty" in result.output
