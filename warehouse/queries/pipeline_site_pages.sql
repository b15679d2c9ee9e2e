-- The given snapshots (one site's pages waiting for extraction), with their bodies; both looked
-- up by key. A snapshot whose body row is missing gets body NULL and is extracted as empty.
-- $1: VARCHAR[] of snapshot ids
SELECT s.snapshot_id, coalesce(s.final_url, s.url) AS url, s.content_type, b.body
FROM page_snapshots s
LEFT JOIN page_bodies b ON b.content_hash = s.content_hash
WHERE s.snapshot_id IN (SELECT unnest($1::VARCHAR[]))
  AND s.extracted_text IS NULL
ORDER BY s.url, s.snapshot_id;
