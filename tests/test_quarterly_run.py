"""The quarterly run's stage engine: status recorded, done stages reused, unfinished resumed.

These tests drive the real engine and the real warehouse tables with small stage functions,
so interruption and failure can be produced on purpose; the end-to-end story with the real
crawler, pipeline and classifier is in test_quarterly_story.py.
"""

from __future__ import annotations

import pytest

from clusterradar.errors import CrawlError
from clusterradar.quarterly.quarters import parse_quarter
from clusterradar.quarterly.run import Stage, StageContext, StageOutcome, run_stages
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


def _ctx(db_path, cluster_ids=None) -> StageContext:
    return StageContext(
        settings=Settings(db=db_path),
        quarter=parse_quarter("2026Q4"),
        cluster_ids=cluster_ids,
        max_pages=None,
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
    assert recorder.calls == ["registry", "review"]


def test_partial_runs_keep_their_own_status_and_a_full_run_covers_them(db_path):
    recorder = Recorder()
    run_stages(_ctx(db_path, ["a", "b"]), recorder.stages())
    recorder.calls.clear()
    run_stages(_ctx(db_path, ["c"]), recorder.stages())
    assert recorder.calls == ["registry", "sites", "pipeline", "classify", "review"]
    run_stages(_ctx(db_path), recorder.stages())
    recorder.calls.clear()
    run_stages(_ctx(db_path, ["b", "a"]), recorder.stages())
    assert recorder.calls == ["review"]
