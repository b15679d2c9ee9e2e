-- Clusters sighted by the newest registry crawl of a quarter ($quarter) that saw any.
WITH run AS (
    SELECT r.crawl_run_id
    FROM crawl_runs r
    WHERE r.kind = 'registry' AND r.quarter = $quarter
      AND EXISTS (SELECT 1 FROM cluster_sightings s WHERE s.crawl_run_id = r.crawl_run_id)
    ORDER BY r.started_at DESC
    LIMIT 1
)
SELECT s.cluster_id
FROM cluster_sightings s JOIN run USING (crawl_run_id)
ORDER BY s.cluster_id;
