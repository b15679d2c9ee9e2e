-- Latest fetch with content per (cluster, url) for the clusters in $1: the snapshot holding
-- the body, its hash, and the validators for If-None-Match / If-Modified-Since.
SELECT
    cluster_id,
    url,
    arg_max(coalesce(unchanged_of, snapshot_id), fetched_at) AS body_snapshot_id,
    arg_max(content_hash, fetched_at) AS content_hash,
    arg_max(etag, fetched_at) AS etag,
    arg_max(last_modified, fetched_at) AS last_modified
FROM page_snapshots
WHERE list_contains($1::VARCHAR[], cluster_id) AND content_hash IS NOT NULL
GROUP BY cluster_id, url;
