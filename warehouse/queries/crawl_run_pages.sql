-- Pages recorded, unchanged (304 / identical / carried forward on the sitemap's <lastmod>: all
-- noted 'unchanged...'), new bodies stored, failed fetches, and pages not requested at all
-- (noted $2: carried forward on the sitemap's <lastmod>) of run $1.
SELECT
    count(*),
    count(*) FILTER (WHERE note LIKE 'unchanged%'),
    count(*) FILTER (WHERE content_hash IS NOT NULL AND unchanged_of IS NULL),
    count(*) FILTER (WHERE http_status IS NULL OR http_status >= 400),
    count(*) FILTER (WHERE note = $2::VARCHAR)
FROM page_snapshots
WHERE crawl_run_id = $1::VARCHAR;
