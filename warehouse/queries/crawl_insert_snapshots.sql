-- Snapshots of finished sites, set-based: one list per column, all of equal length ($2 is
-- the run id, the same for every row).
INSERT INTO page_snapshots (
    snapshot_id, crawl_run_id, cluster_id, url, final_url, fetched_at, http_status,
    content_type, etag, last_modified, content_hash, unchanged_of, page_kind, note,
    sitemap_lastmod
)
SELECT
    unnest($1::VARCHAR[]), $2::VARCHAR, unnest($3::VARCHAR[]), unnest($4::VARCHAR[]),
    unnest($5::VARCHAR[]), unnest($6::TIMESTAMP[]), unnest($7::INTEGER[]),
    unnest($8::VARCHAR[]), unnest($9::VARCHAR[]), unnest($10::VARCHAR[]),
    unnest($11::VARCHAR[]), unnest($12::VARCHAR[]), unnest($13::VARCHAR[]),
    unnest($14::VARCHAR[]), unnest($15::VARCHAR[]);
