"""The warehouse's storage modules own every SQL statement (STYLE.md habit 13, issue 16).

Stages call warehouse functions with an open connection; they never run SQL themselves. The
modules below still do and are listed by name: the list may only shrink (a new entry, or a new
statement anywhere else, fails this test).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("crawler", "pipeline", "models", "labels", "review", "quarterly", "demo", "clusterradar")
RUNS_SQL = re.compile(r"\.(execute|executemany|sql)\(|\bquery\(\"")
# Not moved yet (issue 16, section 3); each entry is debt to pay off, never to extend.
NOT_MOVED_YET: set[str] = set()


def _offenders() -> set[str]:
    found = set()
    for stage in STAGES:
        for path in (ROOT / stage).rglob("*.py"):
            if RUNS_SQL.search(path.read_text(encoding="utf-8")):
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_no_stage_outside_the_warehouse_runs_sql_beyond_the_known_debt():
    assert _offenders() <= NOT_MOVED_YET


def test_the_known_debt_list_names_only_modules_that_still_run_sql():
    assert _offenders() >= NOT_MOVED_YET, "remove the entries that were moved"


def test_sql_files_live_only_in_the_warehouse():
    outside = [
        p.relative_to(ROOT).as_posix()
        for p in ROOT.rglob("*.sql")
        if p.relative_to(ROOT).parts[0] not in ("warehouse", ".venv", "site")
    ]
    assert outside == []
