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
def test_review_step_reports_percentiles_of_both_pages_on_eight_quarters_of_history():
    done = _run("--clusters", "3", "--requests", "2")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["history"]["quarters"] == 8 and result["history"]["clusters"] == 3
    review = result["review"]
    for key in ("queue_p50_ms", "queue_p95_ms", "cluster_p50_ms", "cluster_p95_ms"):
        assert review[key] > 0
    assert review["p95_ms"] == max(review["queue_p95_ms"], review["cluster_p95_ms"])


def test_review_step_refuses_a_bad_size_in_one_line():
    done = _run("--clusters", "0")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "error: --clusters and --requests must be at least 1 "
        "(see python -m benchmarks.review_step --help)"
    ]
