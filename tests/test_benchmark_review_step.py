"""`python -m benchmarks.review_step` times the review app alone on an aged warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.review_step", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_review_step_reports_percentiles_of_the_pages_and_decisions_on_eight_quarters_of_history():
    done = _run("--clusters", "3", "--requests", "2", "--decisions", "3")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["history"]["quarters"] == 8 and result["history"]["clusters"] == 3
    review = result["review"]
    pages = ("queue", "cluster", "queue_after_decision")
    for key in (*pages, "decision"):
        assert review[f"{key}_p50_ms"] > 0 and review[f"{key}_p95_ms"] > 0
    assert review["decisions"] == 3  # each accepted through the app's form
    assert review["p95_ms"] == max(review[f"{page}_p95_ms"] for page in pages)


def test_review_step_refuses_a_bad_size_in_one_line():
    done = _run("--clusters", "0")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "error: --clusters, --requests and --decisions must be at least 1 "
        "(see python -m benchmarks.review_step --help)"
    ]
