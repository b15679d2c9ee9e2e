-- Pages fetched, unchanged (304 / identical), new bodies stored, and failed fetches of a run.
SELECT
    count(*),
    count(*) FILTER (WHERE note = 'unchanged'),
    count(*) FILTER (WHERE content_hash IS NOT NULL AND unchanged_of IS NULL),
    count(*) FILTER (WHERE http_status IS NULL OR http_status >= 400)
FROM page_snapshots
WHERE crawl_run_id = ?;
