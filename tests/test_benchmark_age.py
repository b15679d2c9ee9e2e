"""The age probe of the benchmark (issue 17) alternates the warehouses round by round on fresh
copies and reports the median ratio, so one noisy round cannot decide it."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

from benchmarks.aged import age_rounds
from clusterradar.warehouse import connect, transaction
from clusterradar.warehouse.labels_loading import initialise_warehouse
from clusterradar.warehouse.registry import add_manual_cluster


def _clusters(con) -> int:
    return con.execute("SELECT count(*) FROM clusters").fetchone()[0]


def test_age_rounds_alternate_on_fresh_copies_and_report_the_median_ratio(tmp_path):
    empty, old = tmp_path / "empty.duckdb", tmp_path / "aged.duckdb"
    initialise_warehouse(empty)
    shutil.copyfile(empty, old)
    with connect(old) as con, transaction(con):
        for n in range(5):  # the aged one holds more
            add_manual_cluster(
                con, name=f"Alt {n}", website=f"https://alt{n}.example/", bundeslaender=[]
            )
    with connect(empty, read_only=True) as con:
        base = _clusters(con)
    seen: list[tuple[str, int]] = []
    seconds = iter([10, 12, 10, 30, 10, 11])  # round 2 is the noisy one

    def run_probe(db, ids):
        with connect(db, read_only=True) as con:  # the probe was added to a fresh copy
            seen.append((db.name, _clusters(con)))
            names = con.execute(
                "SELECT name FROM clusters WHERE cluster_id = ?", [ids[0]]
            ).fetchone()
        assert names == ("Probe",)
        return {"pipeline_s": next(seconds), "crawl_s": 1.0}

    result = age_rounds(
        {"empty": empty, "aged": old},
        [SimpleNamespace(name="Probe", site="probe-1")],
        lambda site: f"http://127.0.0.1:9/{site}",
        run_probe,
        tmp_path / "work",
    )
    assert seen == [("empty.duckdb", base + 1), ("aged.duckdb", base + 6)] * 3
    assert [r["ratio"] for r in result["rounds"]] == [1.2, 3.0, 1.1]
    assert result["ratio"] == 1.2  # the median, not the outlier
    assert result["crawl_ratio"] == 1.0
    for source, count in ((empty, base), (old, base + 5)):
        with connect(source, read_only=True) as con:
            assert _clusters(con) == count  # the sources are never written
    assert not list((tmp_path / "work").iterdir())
