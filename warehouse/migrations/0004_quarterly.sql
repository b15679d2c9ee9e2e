-- 0004: status of quarterly runs, append-only.
-- Every invocation of `clusterradar run --quarter Q` is one attempt (quarter_runs); each stage
-- it starts, finishes, skips or loses writes one event row in its own short transaction.
-- The state of a stage is its latest event (view quarter_stages); nothing is ever updated.

CREATE TABLE quarter_runs (
    attempt_id    VARCHAR PRIMARY KEY,
    quarter       VARCHAR NOT NULL,                  -- '2026Q4'
    started_at    TIMESTAMP NOT NULL,
    options       JSON                               -- skip_registry, cluster_ids, max_pages, ...
);

CREATE TABLE quarter_stage_events (
    event_id      VARCHAR PRIMARY KEY,
    attempt_id    VARCHAR NOT NULL,
    quarter       VARCHAR NOT NULL,
    stage         VARCHAR NOT NULL,                  -- registry | sites | pipeline | classify | review
    scope         VARCHAR NOT NULL DEFAULT 'all',    -- 'all', 'listed' or 'clusters:<ids>', + ';max_pages=N'
    status        VARCHAR NOT NULL,                  -- running | done | skipped | failed | interrupted
    recorded_at   TIMESTAMP NOT NULL,
    ref_id        VARCHAR,                           -- crawl_run_id or classification run_id
    stats         JSON,
    detail        VARCHAR,
    seq           BIGINT NOT NULL
);
CREATE SEQUENCE quarter_stage_events_seq START 1;
CREATE INDEX quarter_stage_events_quarter ON quarter_stage_events (quarter, stage);

-- Latest state of each (quarter, stage, scope), with when its latest attempt began.
CREATE VIEW quarter_stages AS
WITH ranked AS (
    SELECT e.*,
           row_number() OVER (PARTITION BY quarter, stage, scope ORDER BY seq DESC) AS newest
    FROM quarter_stage_events e
),
begun AS (
    SELECT quarter, stage, scope, max(recorded_at) AS started_at
    FROM quarter_stage_events
    WHERE status = 'running'
    GROUP BY quarter, stage, scope
)
SELECT r.quarter, r.stage, r.scope, r.status, r.attempt_id,
       b.started_at,
       CASE WHEN r.status = 'running' THEN NULL ELSE r.recorded_at END AS finished_at,
       r.ref_id, r.stats, r.detail, r.seq
FROM ranked r
LEFT JOIN begun b USING (quarter, stage, scope)
WHERE r.newest = 1;
