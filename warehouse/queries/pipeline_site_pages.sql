-- The pages of one site (crawl run × cluster) waiting for extraction, with their bodies.
-- A snapshot whose body row is missing gets body NULL and is extracted as empty.
-- $1: crawl_run_id, $2: cluster_id
SELECT s.snapshot_id, coalesce(s.final_url, s.url) AS url, s.content_type, b.body
FROM page_snapshots s
LEFT JOIN page_bodies b ON b.content_hash = s.content_hash
WHERE s.crawl_run_id = $1
  AND s.cluster_id = $2
  AND s.extracted_text IS NULL
  AND s.unchanged_of IS NULL
  AND s.content_hash IS NOT NULL
ORDER BY s.url, s.snapshot_id;
