"""The stage folders sit at the repository root; importing them by their bare names must fail.

With the root on ``sys.path`` (pytest's rootdir, ``python -c`` from a checkout), ``import models``
would otherwise load a second copy of ``clusterradar.models`` with its own classes and caches.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["crawler", "pipeline", "models", "labels", "warehouse", "review", "quarterly", "demo"]


@pytest.mark.parametrize("stage", STAGES)
def test_bare_stage_import_from_the_repository_root_is_refused(stage: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {stage}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert f"import clusterradar.{stage}, not {stage}" in result.stderr


def test_the_installed_subpackage_imports_from_the_repository_root() -> None:
    code = "import clusterradar.models, clusterradar.warehouse; print(clusterradar.models.__name__)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clusterradar.models"
