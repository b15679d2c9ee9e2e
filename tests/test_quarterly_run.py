"""The quarterly run's stage engine: status recorded, done stages reused, unfinished resumed.

These tests drive the real engine and the real warehouse tables with small stage functions,
so interruption and failure can be produced on purpose; the end-to-end story with the real
crawler, pipeline and classifier is in test_quarterly_story.py.
"""

from __future__ import annotations

import json

import pytest

from clusterradar.errors import CrawlError, InputError
from clusterradar.quarterly.run import Stage, StageContext, StageOutcome, run_stages
from clusterradar.quarters import parse_quarter
from clusterradar.settings import Settings
from clusterradar.warehouse.db import connect
from clusterradar.warehouse.quarters import stage_states


class Recorder:
    """Stage functions that count their calls and can be told to fail once."""

    def __init__(self):
        self.calls: list[str] = []
        self.fail_once: dict[str, BaseException] = {}

    def stage(self, name: str) -> Stage:
        def run(ctx: StageContext) -> StageOutcome:
            self.calls.append(name)
            if name in self.fail_once:
                raise self.fail_once.pop(name)
            return StageOutcome(ref_id=f"{name}-ref", stats={"items": len(self.calls)})

        return Stage(name, name.title(), run)

    def stages(self) -> list[Stage]:
        return [self.stage(n) for n in ("registry", "sites", "pipeline", "classify", "review")]


def _ctx(db_path, cluster_ids=None, max_pages=None) -> StageContext:
    return StageContext(
        settings=Settings(db=db_path),
        quarter=parse_quarter("2026Q4"),
        cluster_ids=cluster_ids,
        max_pages=max_pages,
        allow_private=False,
        registry_listed_only=False,
        progress=False,
    )


def _states(db_path) -> dict[str, str]:
    with connect(db_path, read_only=True) as con:
        return {s.stage: s.status for s in stage_states(con, "2026Q4") if s.scope == "all"}


def test_every_stage_is_recorded_done_with_its_reference(db_path):
    recorder = Recorder()
    result = run_stages(_ctx(db_path), recorder.stages())
    assert [s.status for s in result.stages] == ["done"] * 5
    assert _states(db_path) == dict.fromkeys(
        ("registry", "sites", "pipeline", "classify", "review"), "done"
    )
    with connect(db_path, read_only=True) as con:
        sites = next(s for s in stage_states(con, "2026Q4") if s.stage == "sites")
    assert sites.ref_id == "sites-ref" and sites.stats["items"] == 2
    assert sites.started_at <= sites.finished_at


def test_second_run_of_the_same_quarter_skips_done_stages(db_path):
    recorder = Recorder()
    run_stages(_ctx(db_path), recorder.stages())
    recorder.calls.clear()
    again = run_stages(_ctx(db_path), recorder.stages())
    # Only the cheap review summary runs again; the rest is reused with its stored numbers.
    assert recorder.calls == ["review"]
    assert [s.status for s in again.stages] == ["reused"] * 4 + ["done"]
    assert again.stage("sites").stats["items"] == 2


def test_interrupted_stage_is_recorded_and_resumed_on_the_next_run(db_path):
    recorder = Recorder()
    recorder.fail_once["pipeline"] = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        run_stages(_ctx(db_path), recorder.stages())
    assert _states(db_path) == {"registry": "done", "sites": "done", "pipeline": "interrupted"}
    recorder.calls.clear()
    result = run_stages(_ctx(db_path), recorder.stages())
    assert recorder.calls == ["pipeline", "classify", "review"]
    assert [s.status for s in result.stages] == ["reused", "reused", "done", "done", "done"]


def test_failed_stage_keeps_its_error_and_stops_the_run(db_path):
    recorder = Recorder()
    recorder.fail_once["registry"] = CrawlError("no initiatives found on the start page")
    with pytest.raises(CrawlError):
        run_stages(_ctx(db_path), recorder.stages())
    assert recorder.calls == ["registry"]
    with connect(db_path, read_only=True) as con:
        (state,) = stage_states(con, "2026Q4")
    assert state.status == "failed"
    assert state.detail == "CrawlError: no initiatives found on the start page"


def test_a_stage_left_running_by_a_crash_counts_as_unfinished(db_path):
    from clusterradar.warehouse.db import transaction
    from clusterradar.warehouse.quarters import record_stage_event, start_attempt

    with connect(db_path) as con, transaction(con):
        attempt = start_attempt(con, "2026Q4", {})
        record_stage_event(
            con, attempt_id=attempt, quarter="2026Q4", stage="registry", status="running"
        )
    recorder = Recorder()
    run_stages(_ctx(db_path), recorder.stages())
    assert recorder.calls[0] == "registry"


def test_skipped_stage_is_recorded_and_not_counted_as_done(db_path):
    recorder = Recorder()
    run_stages(_ctx(db_path), recorder.stages(), skip=frozenset({"registry"}))
    assert "registry" not in recorder.calls and _states(db_path)["registry"] == "skipped"
    recorder.calls.clear()
    run_stages(_ctx(db_path), recorder.stages())
    assert recorder.calls[0] == "registry"  # and the stages after it, see below


def test_partial_runs_keep_their_own_status_and_a_full_run_covers_them(db_path):
    recorder = Recorder()
    run_stages(_ctx(db_path, ["a", "b"]), recorder.stages())
    recorder.calls.clear()
    run_stages(_ctx(db_path, ["c"]), recorder.stages())
    # The registry crawl reads the whole portal whatever the clusters: reused.
    assert recorder.calls == ["sites", "pipeline", "classify", "review"]
    run_stages(_ctx(db_path), recorder.stages())
    recorder.calls.clear()
    run_stages(_ctx(db_path, ["b", "a"]), recorder.stages())
    assert recorder.calls == ["review"]


def test_a_stage_after_one_that_ran_runs_again_instead_of_being_reused(db_path):
    """`run --skip-registry` then `run`: the registry crawl may list new initiatives, so the
    site crawl, pipeline and classification must not be reused from before it."""
    recorder = Recorder()
    run_stages(_ctx(db_path), recorder.stages(), skip=frozenset({"registry"}))
    recorder.calls.clear()
    ctx = _ctx(db_path)
    result = run_stages(ctx, recorder.stages())
    assert recorder.calls == ["registry", "sites", "pipeline", "classify", "review"]
    assert [s.status for s in result.stages] == ["done"] * 5
    # The site crawl knows it runs again only to catch up with the registry.
    assert ctx.reasons == {
        "registry": "first",
        "sites": "upstream",
        "pipeline": "upstream",
        "classify": "upstream",
        "review": "first",
    }


def test_a_run_with_another_page_budget_does_not_reuse_a_quick_run(db_path):
    recorder = Recorder()
    run_stages(_ctx(db_path, max_pages=2), recorder.stages())
    recorder.calls.clear()
    result = run_stages(_ctx(db_path), recorder.stages())
    # The registry crawl does not depend on the page budget; everything else does.
    assert recorder.calls == ["sites", "pipeline", "classify", "review"]
    assert result.scope == "all"
    recorder.calls.clear()
    run_stages(_ctx(db_path, max_pages=2), recorder.stages())
    assert recorder.calls == ["review"]
    with connect(db_path, read_only=True) as con:
        scopes = {(s.stage, s.scope) for s in stage_states(con, "2026Q4")}
    assert ("sites", "all;max_pages=2") in scopes and ("sites", "all") in scopes


def test_redo_runs_a_done_stage_and_everything_after_it(db_path):
    recorder = Recorder()
    run_stages(_ctx(db_path), recorder.stages())
    recorder.calls.clear()
    ctx = _ctx(db_path)
    result = run_stages(ctx, recorder.stages(), redo=frozenset({"pipeline"}))
    assert recorder.calls == ["pipeline", "classify", "review"]
    assert [s.status for s in result.stages] == ["reused", "reused", "done", "done", "done"]
    assert ctx.reasons["pipeline"] == "redo" and ctx.reasons["classify"] == "redo"


def test_redo_of_an_unknown_stage_is_a_clear_input_error(db_path, cli):
    with pytest.raises(InputError, match="unknown stage"):
        run_stages(_ctx(db_path), Recorder().stages(), redo=frozenset({"crawl"}))
    result = cli("--db", db_path, "run", "--quarter", "2026Q4", "--redo", "crawl", "--no-progress")
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: --redo: unknown stage(s) crawl")
    result = cli("--db", db_path, "run", "--quarter", "2026Q4", "--redo", "registry",
                 "--skip-registry", "--no-progress")  # fmt: skip
    assert result.exit_code == 1 and "contradict" in result.stderr


def test_site_catch_up_crawls_only_initiatives_without_an_outcome_this_quarter(db_path):
    """After the registry listed a new initiative, only its website is still to crawl — per
    quarter and page budget, and not sites crawled by an unfinished or other quarter's run."""
    from clusterradar.quarterly.run import sites_to_catch_up
    from clusterradar.warehouse.db import transaction

    def site_crawl(con, run_id, quarter, status, max_pages, cluster_ids):
        con.execute(
            "INSERT INTO crawl_runs (crawl_run_id, kind, quarter, started_at, status, settings)"
            " VALUES (?, 'sites', ?, now(), ?, ?)",
            [run_id, quarter, status, json.dumps({"max_pages": max_pages})],
        )
        for cluster_id in cluster_ids:
            con.execute(
                "INSERT INTO site_outcomes (crawl_run_id, cluster_id, seed_url, outcome, pages,"
                " finished_at) VALUES (?, ?, 'https://x.example/', 'ok', 1, now())",
                [run_id, cluster_id],
            )

    with connect(db_path) as con, transaction(con):
        for cluster_id in ("old-a", "old-b", "new-c", "new-d", "new-e"):
            con.execute(
                "INSERT INTO clusters (cluster_id, name, website, origin, first_seen, last_seen)"
                " VALUES (?, ?, 'https://x.example/', 'registry', now(), now())",
                [cluster_id, cluster_id],
            )
        site_crawl(con, "s1", "2026Q4", "finished", 40, ["old-a", "old-b"])
        site_crawl(con, "s2", "2026Q4", "interrupted", 40, ["new-c"])
        site_crawl(con, "s3", "2026Q3", "finished", 40, ["new-d"])
        site_crawl(con, "s4", "2026Q4", "finished", 2, ["new-e"])
    ctx = _ctx(db_path)
    ctx.settings.crawl.max_pages = 40
    assert sites_to_catch_up(ctx) == ["new-c", "new-d", "new-e"]
    assert sites_to_catch_up(_ctx(db_path, ["old-a", "new-c"], max_pages=40)) == ["new-c"]
