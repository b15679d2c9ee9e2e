INSERT INTO page_snapshots (
    snapshot_id, crawl_run_id, cluster_id, url, final_url, fetched_at, http_status,
    content_type, etag, last_modified, content_hash, unchanged_of, page_kind, note
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
