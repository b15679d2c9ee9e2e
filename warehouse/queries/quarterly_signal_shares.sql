-- Per cluster: passages of its pages in the quarter's newest site crawl that fetched any, and
-- how many of them carry SVI lexicon terms. Unchanged pages (unchanged_of) count with the
-- passages of the snapshot they repeat, followed through chains of unchanged fetches.
WITH RECURSIVE latest_run AS (
    SELECT s.cluster_id, arg_max(s.crawl_run_id, r.started_at) AS crawl_run_id
    FROM page_snapshots s JOIN crawl_runs r USING (crawl_run_id)
    WHERE r.kind = 'sites' AND r.quarter = $quarter
    GROUP BY s.cluster_id
),
snaps AS (
    SELECT s.snapshot_id, s.cluster_id, s.unchanged_of
    FROM page_snapshots s JOIN latest_run USING (cluster_id, crawl_run_id)
),
resolved(snapshot_id, cluster_id, source_id, depth) AS (
    SELECT snapshot_id, cluster_id, coalesce(unchanged_of, snapshot_id), 0 FROM snaps
    UNION ALL
    SELECT r.snapshot_id, r.cluster_id, p.unchanged_of, r.depth + 1
    FROM resolved r JOIN page_snapshots p ON p.snapshot_id = r.source_id
    WHERE p.unchanged_of IS NOT NULL AND r.depth < 50
),
final AS (
    SELECT snapshot_id, cluster_id, arg_max(source_id, depth) AS source_id
    FROM resolved GROUP BY snapshot_id, cluster_id
)
SELECT f.cluster_id,
       count(p.passage_hash) AS passages,
       count(p.passage_hash) FILTER (WHERE len(coalesce(p.lexicon_terms, [])) > 0) AS signal_passages
FROM final f JOIN passages p ON p.snapshot_id = f.source_id
GROUP BY f.cluster_id
ORDER BY f.cluster_id;
