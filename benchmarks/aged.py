"""An aged warehouse and what reads it: 8 quarters of history, the review app, export, and
the same pipeline work in an empty and in the aged warehouse (:func:`age_rounds`).

History is written through the warehouse's own write functions (classification runs with
suggestions and evidence, classification versions as review decisions put them in force), a
batch per quarter, so a registry-scale history takes seconds instead of eight real quarters.
The review app is the real one (``clusterradar review serve`` in its own process) and is
timed over loopback HTTP with a logged-in session; export is the real CLI command.

Age is measured interleaved: empty, aged, empty, aged, ... on fresh copies of both warehouses,
so the machine's load drifts over both alike and one noisy round cannot decide the ratio (the
median of the per-round ratios does).
"""

from __future__ import annotations

import datetime as dt
import html
import http.cookiejar
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clusterradar.labels.taxonomy import load_taxonomy
from clusterradar.quarters import Quarter
from clusterradar.review import auth
from clusterradar.warehouse.crawls import clusters_with_last_outcome
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.history import record_version
from clusterradar.warehouse.records import ClusterSuggestion, Evidence, Suggestion
from clusterradar.warehouse.registry import add_manual_cluster
from clusterradar.warehouse.suggestions import (
    insert_suggestions,
    new_run_id,
    open_run,
    writing_run,
)

HISTORY_MODEL = "benchmark-history"
REVIEWER = "benchmark"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def registry_clusters(db: Path) -> list[str]:
    """Ids of the clusters the registry crawl found (the paper's own are left out)."""
    with connect(db, read_only=True) as con:
        rows = clusters_with_last_outcome(con)
    return sorted(r["cluster_id"] for r in rows if r.get("origin") == "registry")


def history_quarters(before: Quarter, count: int = 8) -> list[Quarter]:
    """The `count` quarters before `before`, oldest first."""
    found = [before.previous()]
    while len(found) < count:
        found.append(found[-1].previous())
    return found[::-1]


def write_history(db: Path, cluster_ids: list[str], quarters: list[Quarter]) -> dict[str, Any]:
    """Per quarter: a finished classification run with one suggestion (two evidence
    passages) per cluster and dimension, and a reviewed version of each in force from the
    quarter's first day. Returns counts and seconds."""
    taxonomy = load_taxonomy()
    dimensions = taxonomy.dimension_keys()
    started = time.perf_counter()
    versions = suggestions = 0
    for number, quarter in enumerate(quarters):
        rows: list[ClusterSuggestion] = []
        decided: list[tuple[str, str, str]] = []
        for index, cluster_id in enumerate(cluster_ids):
            for dimension in dimensions:
                keys = taxonomy.keys(dimension)
                key = keys[(index + number) % len(keys)]
                evidence = tuple(
                    Evidence(
                        rank=rank,
                        url=f"https://{cluster_id}.example/seite-{rank}/",
                        snapshot_id=None,
                        passage=f"Beleg {rank} für {key} im Quartal {quarter} ({cluster_id}).",
                        reason="benchmark history",
                        score=0.5,
                    )
                    for rank in (1, 2)
                )
                suggestion = Suggestion(dimension, key, 0.6, 1, evidence)
                rows.append(ClusterSuggestion(cluster_id, suggestion))
                decided.append((cluster_id, dimension, key))
        run_id = new_run_id()
        decided_at = dt.datetime.combine(quarter.start, dt.time(12))
        with writing_run(db, run_id), connect(db) as con, transaction(con):
            open_run(
                con,
                quarter=str(quarter),
                model_version=HISTORY_MODEL,
                code_version="benchmark",
                training_data_hash="benchmark",
                parameters={"benchmark": True},
                run_id=run_id,
            )
            suggestions += insert_suggestions(
                con, run_id, rows, model_version=HISTORY_MODEL, training_data_hash="benchmark"
            )
            for cluster_id, dimension, key in decided:
                record_version(
                    con,
                    cluster_id=cluster_id,
                    dimension=dimension,
                    labels=[key],
                    valid_from=quarter.start,
                    source="review",
                    source_ref=run_id,
                    decided_by=REVIEWER,
                    decided_at=decided_at,
                    model_version=HISTORY_MODEL,
                )
                versions += 1
    return {
        "quarters": len(quarters),
        "clusters": len(cluster_ids),
        "dimensions": len(dimensions),
        "suggestions": suggestions,
        "versions": versions,
        "seconds": round(time.perf_counter() - started, 2),
    }


def clusterradar_command() -> list[str]:
    """The installed ``clusterradar`` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "clusterradar"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from clusterradar.entry import main; main()"]


def time_export(db: Path, out: Path, as_of: dt.date) -> dict[str, Any]:
    """Wall time of ``clusterradar export --as-of`` (the whole command, startup included)."""
    shutil.rmtree(out, ignore_errors=True)
    command = [*clusterradar_command(), "--db", str(db), "export", "--out", str(out)]
    command += ["--format", "csv", "--as-of", as_of.isoformat()]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"export failed: {done.stderr.strip()[-300:]}")
    return {"seconds": round(seconds, 3), "output": done.stdout.strip().splitlines()[0]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


class _Client:
    """A logged-in browser stand-in: cookies, the login form's CSRF token, plain urllib."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")

    def post(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        """A form POST; redirects are followed as a browser does (303: GET)."""
        data = urllib.parse.urlencode(form).encode()
        with self.opener.open(self.base + path, data=data, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")

    def login(self, name: str, password: str) -> None:
        _, page = self.get("/login")
        token = _TOKEN.search(page)
        if token is None:
            raise RuntimeError("review app: no CSRF token on the login page")
        form = {"username": name, "password": password, "csrf_token": token.group(1), "next": "/"}
        data = urllib.parse.urlencode(form).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=60) as response:
            if "/login" in response.url:
                raise RuntimeError("review app: the benchmark account could not log in")


DECISIONS = 20  # accepts in the reviewer's round of the review step
_FIRST_ITEM = re.compile(r'<a class="open-item" href="(/clusters/[^"]+)"')


def time_review_app(
    db: Path, cluster_ids: list[str], requests: int, decisions: int = DECISIONS
) -> dict[str, Any]:
    """p50/p95 of the queue page and of cluster pages, over loopback, after a warm-up; then a
    reviewer's round: open the queue's first item, accept it (the app continues with the next
    item), back to the queue, `decisions` times. The queue read right after a decision is
    timed on its own: it is the one that has to take in a change."""
    password = "benchmark password " + str(time.time_ns())
    with connect(db) as con, transaction(con):
        if auth.load_user(con, REVIEWER) is None:
            auth.create_user(con, REVIEWER, password)
        else:
            raise RuntimeError(f"account {REVIEWER!r} exists already in {db}")
    port = _free_port()
    command = [*clusterradar_command(), "--db", str(db), "review", "serve", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    client = _Client(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                client.get("/login")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    error = server.stderr.read().decode()[-300:] if server.stderr else ""
                    raise RuntimeError(f"review app did not start: {error}") from None
                time.sleep(0.2)
        client.login(REVIEWER, password)
        timings: dict[str, list[float]] = {"queue": [], "cluster": []}
        for i in range(requests + 3):
            for page, path in (
                ("queue", "/"),
                ("cluster", f"/clusters/{cluster_ids[i % len(cluster_ids)]}"),
            ):
                started = time.perf_counter()
                status, _ = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if status != 200:
                    raise RuntimeError(f"review app: {path} answered {status}")
                if i >= 3:  # the first requests load templates and warm the caches
                    timings[page].append(elapsed)
        timings.update(_time_decisions(client, decisions))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    result: dict[str, Any] = {"requests": requests}
    for page, values in timings.items():
        result[f"{page}_p50_ms"] = round(statistics.median(values), 1)
        result[f"{page}_p95_ms"] = round(_percentile(values, 0.95), 1)
    result["decisions"] = len(timings["decision"])
    pages = ("queue", "cluster", "queue_after_decision")
    result["p95_ms"] = max(result[f"{page}_p95_ms"] for page in pages)
    return result


def _time_decisions(client: _Client, decisions: int) -> dict[str, list[float]]:
    """Milliseconds of each decision (the POST and the redirects to the next item's page) and
    of the queue page read right after it."""
    timings: dict[str, list[float]] = {"decision": [], "queue_after_decision": []}
    for _ in range(decisions):
        _, queue = client.get("/")
        found = _FIRST_ITEM.search(queue)
        if found is None:
            break
        path = html.unescape(found.group(1))
        suggestion_id = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["s"][0]
        _, page = client.get(path)
        token = _TOKEN.search(page)
        if token is None:
            raise RuntimeError("review app: no CSRF token on the cluster page")
        form = {"action": "accept", "csrf_token": token.group(1), "then": "next"}
        started = time.perf_counter()
        status, _ = client.post(f"/suggestions/{urllib.parse.quote(suggestion_id)}/decide", form)
        timings["decision"].append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"review app: deciding {suggestion_id} answered {status}")
        started = time.perf_counter()
        status, _ = client.get("/")
        timings["queue_after_decision"].append((time.perf_counter() - started) * 1000)
    if not timings["decision"]:
        raise RuntimeError("review app: the queue listed nothing to decide")
    return timings


AGE_ROUNDS = 3


def add_probes(db: Path, probes: list[Any], site_url: Callable[[str], str]) -> list[str]:
    """The probe sites as manually added clusters of ``db``; their ids."""
    with connect(db) as con, transaction(con):
        return [
            add_manual_cluster(con, name=p.name, website=site_url(p.site) + "/", bundeslaender=[])
            for p in probes
        ]


def age_rounds(
    warehouses: dict[str, Path],
    probes: list[Any],
    site_url: Callable[[str], str],
    run_probe: Callable[[Path, list[str]], dict[str, Any]],
    work: Path,
    rounds: int = AGE_ROUNDS,
) -> dict[str, Any]:
    """Crawl and process the probe sites in a fresh copy of each warehouse, ``rounds`` times,
    alternating the warehouses (``warehouses`` maps 'empty' and 'aged' to files that are only
    read). ``run_probe(db, cluster_ids)`` does the work in a fresh process and returns its
    ``crawl_s`` and ``pipeline_s``. The ratios are aged / empty per round; their medians are
    the result."""
    work.mkdir(parents=True, exist_ok=True)
    measured: list[dict[str, Any]] = []
    for _ in range(rounds):
        found: dict[str, Any] = {}
        for name, source in warehouses.items():
            copy = work / f"{name}.duckdb"
            _remove_with_sidecars(copy)
            shutil.copyfile(source, copy)
            found[name] = run_probe(copy, add_probes(copy, probes, site_url))
            _remove_with_sidecars(copy)
        found["ratio"] = _ratio_of(found, "pipeline_s")
        found["crawl_ratio"] = _ratio_of(found, "crawl_s")
        found["load_average"] = _load_average()
        measured.append(found)
    return {
        "rounds": measured,
        "ratio": _median([r["ratio"] for r in measured]),
        "crawl_ratio": _median([r["crawl_ratio"] for r in measured]),
    }


def _remove_with_sidecars(db: Path) -> None:
    """The file and what DuckDB and our lock keep beside it (.wal, .lock, .lock-queue)."""
    for path in db.parent.glob(db.name + "*"):
        path.unlink()


def _ratio_of(found: dict[str, Any], key: str) -> float | None:
    empty, aged = found["empty"].get(key) or 0, found["aged"].get(key) or 0
    return round(aged / empty, 3) if empty > 0 else None


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 3) if known else None


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None
