-- Passages of each cluster's CURRENT pages: the snapshots of its latest site crawl run that
-- yielded passages. When the latest crawl yielded none (site down: no or only error snapshots;
-- site empty), the passages of the latest earlier crawl that did are used, and the row says so
-- (latest_crawl_at / latest_outcome are set only then), so an unreachable website does not
-- silently turn a cluster into "no text". A snapshot marked unchanged_of (304 / identical
-- body) contributes the passages of the snapshot it points at (followed through chains),
-- under its own URL and id.
-- technology_terms only where the snapshot's terms were matched with the technology lexicon of
-- $3 (else NULL: the reader matches them itself).
-- $1: VARCHAR[] of cluster ids, or NULL for all; $2: embedding model_id, or NULL for none;
-- $3: current technology lexicon hash, or NULL (no stored technology terms wanted)
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
    CASE WHEN ps.technology_hash = $3 THEN p.technology_terms END AS technology_terms,
    p.language,
    e.vector,
    cp.crawl_run_id,
    cp.started_at AS crawled_at,
    cp.latest_crawl_at,
    cp.latest_outcome
FROM current_pages cp
JOIN resolved r ON r.snapshot_id = cp.snapshot_id
JOIN passages p ON p.snapshot_id = r.source_id
LEFT JOIN passage_sets ps ON ps.snapshot_id = p.snapshot_id
LEFT JOIN embeddings e ON e.model_id = $2 AND e.passage_hash = p.passage_hash
ORDER BY cp.cluster_id, cp.url, cp.snapshot_id, p.seq;
