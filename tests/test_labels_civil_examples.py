"""The packaged civil examples (training negatives of the no-SVI gate) load and are checked."""

from __future__ import annotations

import pytest

from clusterradar.errors import LabelValidationError
from clusterradar.labels.civil import load_civil_examples, parse_civil_examples


def test_packaged_civil_examples_load_with_pages_and_unique_ids():
    examples = load_civil_examples()
    assert len(examples) >= 20
    assert len({e.id for e in examples}) == len(examples)
    assert all(e.pages and all(p.text for p in e.pages) for e in examples)
    assert {p.page_kind for e in examples for p in e.pages} <= {"home", "topics", "news", "other"}


def test_plain_text_pages_get_their_kind_from_their_position():
    (example,) = parse_civil_examples(
        "clusters:\n  - id: wein\n    name: Weinnetz\n    pages: [Start, Themen, Neues]\n", "x.yaml"
    )
    assert [p.page_kind for p in example.pages] == ["home", "topics", "news"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clusters: {}\n", "expected a list under 'clusters'"),
        ("clusters:\n  - name: Ohne Id\n", "needs 'id' and 'name'"),
        ("clusters:\n  - {id: a, name: A}\n  - {id: a, name: B}\n", "duplicate id 'a'"),
        ("clusters:\n  - {id: a, name: A, pages: [3]}\n", "page 1 must be a text"),
    ],
)
def test_a_broken_civil_examples_file_names_the_problem(text, message):
    with pytest.raises(LabelValidationError, match=message):
        parse_civil_examples(text, "civil.yaml")
