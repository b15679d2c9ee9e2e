-- Extracted snapshots not yet split into passages.
-- $1: VARCHAR[] of cluster ids, or NULL for all
SELECT s.snapshot_id
FROM page_snapshots s
LEFT JOIN passage_sets ps ON ps.snapshot_id = s.snapshot_id
WHERE s.extracted_text IS NOT NULL
  AND ps.snapshot_id IS NULL
  AND ($1::VARCHAR[] IS NULL OR list_contains($1::VARCHAR[], s.cluster_id))
ORDER BY s.snapshot_id;
