-- The CTEs both readers of a cluster's current passages start with; `current_pages` is every
-- snapshot of each cluster's latest site crawl run that yielded passages, `resolved` maps a
-- snapshot to the one holding its passages. Not a query on its own: warehouse/passages.py puts
-- pipeline_cluster_passages.sql (passages with text and vectors) or
-- pipeline_cluster_passage_keys.sql (only what tells whether they changed) after it.
-- $1: VARCHAR[] of cluster ids, or NULL for all.
WITH RECURSIVE
snaps AS (
    SELECT s.snapshot_id, s.crawl_run_id, s.cluster_id, s.url, s.page_kind, s.unchanged_of,
           s.fetched_at
    FROM page_snapshots s
    WHERE $1::VARCHAR[] IS NULL OR list_contains($1::VARCHAR[], s.cluster_id)
),
chain (snapshot_id, source_id, next_id, depth) AS (
    SELECT snapshot_id, snapshot_id, unchanged_of, 0 FROM snaps
    UNION ALL
    SELECT c.snapshot_id, s.snapshot_id, s.unchanged_of, c.depth + 1
    FROM chain c
    JOIN page_snapshots s ON s.snapshot_id = c.next_id
    WHERE c.depth < 32
),
resolved AS (
    SELECT snapshot_id, arg_max(source_id, depth) AS source_id
    FROM chain
    GROUP BY snapshot_id
),
passage_counts AS (
    SELECT snapshot_id, count(*) AS n FROM passages GROUP BY snapshot_id
),
-- Every site crawl of each cluster: from its snapshots and from its outcome row (a site that
-- could not be reached has an outcome but no snapshots).
crawls AS (
    SELECT s.cluster_id, s.crawl_run_id,
           max(s.fetched_at) AS last_fetch,
           sum(coalesce(pc.n, 0)) AS passages
    FROM snaps s
    JOIN resolved rs ON rs.snapshot_id = s.snapshot_id
    LEFT JOIN passage_counts pc ON pc.snapshot_id = rs.source_id
    GROUP BY s.cluster_id, s.crawl_run_id
),
all_crawls AS (
    SELECT coalesce(c.cluster_id, o.cluster_id) AS cluster_id,
           coalesce(c.crawl_run_id, o.crawl_run_id) AS crawl_run_id,
           coalesce(r.started_at, c.last_fetch, o.finished_at) AS started_at,
           coalesce(c.last_fetch, o.finished_at) AS last_fetch,
           coalesce(c.passages, 0) AS passages,
           o.outcome
    FROM crawls c
    FULL OUTER JOIN (
        SELECT * FROM site_outcomes
        WHERE $1::VARCHAR[] IS NULL OR list_contains($1::VARCHAR[], cluster_id)
    ) o ON o.cluster_id = c.cluster_id AND o.crawl_run_id = c.crawl_run_id
    LEFT JOIN crawl_runs r ON r.crawl_run_id = coalesce(c.crawl_run_id, o.crawl_run_id)
),
latest_crawl AS (
    SELECT cluster_id,
           arg_max(crawl_run_id, (started_at, last_fetch)) AS crawl_run_id,
           arg_max(started_at, (started_at, last_fetch)) AS started_at,
           arg_max(coalesce(outcome, 'ok'), (started_at, last_fetch)) AS outcome
    FROM all_crawls
    GROUP BY cluster_id
),
latest_run AS (
    SELECT cluster_id,
           arg_max(crawl_run_id, (started_at, last_fetch)) AS crawl_run_id,
           arg_max(started_at, (started_at, last_fetch)) AS started_at
    FROM all_crawls
    WHERE passages > 0
    GROUP BY cluster_id
),
current_pages AS (
    SELECT s.snapshot_id, s.cluster_id, s.url, s.page_kind, l.crawl_run_id, l.started_at,
           CASE WHEN lc.crawl_run_id <> l.crawl_run_id THEN lc.started_at END AS latest_crawl_at,
           CASE WHEN lc.crawl_run_id <> l.crawl_run_id THEN lc.outcome END AS latest_outcome
    FROM snaps s
    JOIN latest_run l ON l.cluster_id = s.cluster_id AND l.crawl_run_id = s.crawl_run_id
    JOIN latest_crawl lc ON lc.cluster_id = s.cluster_id
)
