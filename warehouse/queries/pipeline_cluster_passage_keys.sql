-- What tells whether a cluster's current passages changed, without their texts or vectors
-- (classify's fingerprint of an unchanged quarter: reading texts, lemmas and terms of every
-- passage cost ten times as much, issue 17). Same rows and order as
-- pipeline_cluster_passages.sql, which it stands in for. Follows pipeline_current_pages.sql.
-- $1: VARCHAR[] of cluster ids, or NULL for all.
SELECT
    cp.cluster_id,
    coalesce(cp.page_kind, p.page_kind) AS page_kind,
    p.passage_hash,
    cp.url,
    cp.started_at AS crawled_at,
    cp.latest_crawl_at,
    cp.latest_outcome
FROM current_pages cp
JOIN resolved r ON r.snapshot_id = cp.snapshot_id
JOIN passages p ON p.snapshot_id = r.source_id
ORDER BY cp.cluster_id, cp.url, cp.snapshot_id, p.seq;
