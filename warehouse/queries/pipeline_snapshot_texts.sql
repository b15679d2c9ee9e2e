-- Extracted text and page facts of the given snapshots (those not split yet).
-- $1: VARCHAR[] of snapshot ids
SELECT s.snapshot_id, s.cluster_id, coalesce(s.final_url, s.url) AS url, s.page_kind,
       s.language, s.extracted_text
FROM page_snapshots s
LEFT JOIN passage_sets ps ON ps.snapshot_id = s.snapshot_id
WHERE s.snapshot_id IN (SELECT unnest($1::VARCHAR[]))  -- a key lookup, not a scan of history
  AND ps.snapshot_id IS NULL;
