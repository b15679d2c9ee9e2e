"""Quarters: parsing, boundaries, as-of dates and ordering."""

from __future__ import annotations

import datetime as dt

import pytest

from clusterradar.errors import InputError
from clusterradar.quarters import (
    Quarter,
    current_quarter,
    normalise_quarter,
    parse_quarter,
    quarter_of,
    quarters_between,
)


@pytest.mark.parametrize("text", ["2026Q4", "2026q4", "2026-Q4", " 2026 Q4 "])
def test_parse_accepts_common_spellings(text):
    assert parse_quarter(text) == Quarter(2026, 4)
    assert str(parse_quarter(text)) == "2026Q4"


@pytest.mark.parametrize(
    "text", ["2026Q5", "2026Q0", "Q4 2026", "2026-10", "", "26Q1", "banana", "2026Q4x"]
)
def test_parse_rejects_anything_else_with_an_input_error(text):
    with pytest.raises(InputError, match="not a quarter"):
        parse_quarter(text)
    with pytest.raises(InputError, match=r"expected e\.g\. 2026Q4"):
        normalise_quarter(text)


def test_normalise_quarter_gives_the_stored_spelling():
    assert normalise_quarter("2026q4") == "2026Q4"
    assert normalise_quarter(" 2026-q1 ") == "2026Q1"
    assert normalise_quarter(None) is None


def test_quarter_boundaries_and_as_of_is_the_last_day():
    q1, q4 = Quarter(2028, 1), Quarter(2026, 4)
    assert (q1.start, q1.end) == (dt.date(2028, 1, 1), dt.date(2028, 3, 31))
    assert Quarter(2028, 1).end == dt.date(2028, 3, 31)
    assert (q4.start, q4.end, q4.as_of) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
        dt.date(2026, 12, 31),
    )
    assert Quarter(2026, 2).end == dt.date(2026, 6, 30)


def test_previous_and_next_cross_year_boundaries():
    assert Quarter(2026, 1).previous() == Quarter(2025, 4)
    assert Quarter(2025, 4).next() == Quarter(2026, 1)
    assert Quarter(2026, 3).previous().next() == Quarter(2026, 3)


def test_quarter_of_a_date_and_ordering():
    assert quarter_of(dt.date(2026, 11, 25)) == Quarter(2026, 4)
    assert quarter_of(dt.date(2026, 7, 1)) == Quarter(2026, 3)
    assert current_quarter(dt.date(2027, 3, 31)) == Quarter(2027, 1)
    assert Quarter(2025, 4) < Quarter(2026, 1) < Quarter(2026, 2)
    assert [str(q) for q in quarters_between(Quarter(2025, 3), Quarter(2026, 2))] == [
        "2025Q3",
        "2025Q4",
        "2026Q1",
        "2026Q2",
    ]
    assert quarters_between(Quarter(2026, 2), Quarter(2026, 1)) == []
    assert Quarter(2026, 4).contains(dt.date(2026, 10, 1))
    assert not Quarter(2026, 4).contains(dt.date(2026, 9, 30))
