-- Sites (crawl run × cluster) that have snapshots with a body still waiting for extraction,
-- with those snapshots' ids (in page order), so the extraction step reads each site's pages by
-- key instead of scanning the history once per site.
-- Unchanged snapshots (unchanged_of) are never extracted: readers follow the reference.
-- $1: VARCHAR[] of cluster ids, or NULL for all
SELECT s.crawl_run_id, s.cluster_id, count(*) AS pages,
       list(s.snapshot_id ORDER BY s.url, s.snapshot_id) AS snapshot_ids
FROM page_snapshots s
WHERE s.extracted_text IS NULL
  AND s.unchanged_of IS NULL
  AND s.content_hash IS NOT NULL
  AND ($1::VARCHAR[] IS NULL OR list_contains($1::VARCHAR[], s.cluster_id))
GROUP BY s.crawl_run_id, s.cluster_id
ORDER BY s.crawl_run_id, s.cluster_id;
