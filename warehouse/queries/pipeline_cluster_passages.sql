-- Passages of each cluster's CURRENT pages: the snapshots of its latest site crawl run that
-- has snapshots. A snapshot marked unchanged_of (304 / identical body) contributes the
-- passages of the snapshot it points at (followed through chains), under its own URL and id.
-- $1: VARCHAR[] of cluster ids, or NULL for all; $2: embedding model_id, or NULL for none
WITH RECURSIVE
run_times AS (
    SELECT s.cluster_id, s.crawl_run_id,
           max(coalesce(r.started_at, s.fetched_at)) AS started_at,
           max(s.fetched_at) AS last_fetch
    FROM page_snapshots s
    LEFT JOIN crawl_runs r ON r.crawl_run_id = s.crawl_run_id
    WHERE $1::VARCHAR[] IS NULL OR list_contains($1::VARCHAR[], s.cluster_id)
    GROUP BY s.cluster_id, s.crawl_run_id
),
latest_run AS (
    SELECT cluster_id, arg_max(crawl_run_id, (started_at, last_fetch)) AS crawl_run_id
    FROM run_times
    GROUP BY cluster_id
),
current_pages AS (
    SELECT s.snapshot_id, s.cluster_id, s.url, s.page_kind, s.unchanged_of
    FROM page_snapshots s
    JOIN latest_run l ON l.cluster_id = s.cluster_id AND l.crawl_run_id = s.crawl_run_id
),
chain (snapshot_id, source_id, next_id, depth) AS (
    SELECT snapshot_id, snapshot_id, unchanged_of, 0 FROM current_pages
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
)
SELECT
    cp.cluster_id,
    cp.snapshot_id,
    cp.url,
    coalesce(cp.page_kind, p.page_kind) AS page_kind,
    p.seq,
    p.passage_hash,
    p.text,
    p.lemmas,
    p.lexicon_terms,
    p.lexicon_score,
    p.language,
    e.vector
FROM current_pages cp
JOIN resolved r ON r.snapshot_id = cp.snapshot_id
JOIN passages p ON p.snapshot_id = r.source_id
LEFT JOIN embeddings e ON e.model_id = $2 AND e.passage_hash = p.passage_hash
ORDER BY cp.cluster_id, cp.url, cp.snapshot_id, p.seq;
