-- Latest fetch with content per (cluster, stored url) for the clusters in $1: the snapshot
-- holding the body, its hash, the validators for If-None-Match / If-Modified-Since, the
-- sitemap <lastmod> recorded with it, when it was fetched, and when a request last went out
-- for it (rows noted $2 were carried forward on the sitemap's word, without a request; NULL
-- when no request ever did). Python keeps the latest per normalised URL (http and https are
-- one page).
SELECT
    cluster_id,
    url,
    arg_max(coalesce(unchanged_of, snapshot_id), fetched_at) AS body_snapshot_id,
    arg_max(content_hash, fetched_at) AS content_hash,
    arg_max(etag, fetched_at) AS etag,
    arg_max(last_modified, fetched_at) AS last_modified,
    arg_max(sitemap_lastmod, fetched_at) AS sitemap_lastmod,
    max(fetched_at) AS fetched_at,
    max(fetched_at) FILTER (WHERE note IS DISTINCT FROM $2::VARCHAR) AS requested_at
FROM page_snapshots
WHERE list_contains($1::VARCHAR[], cluster_id) AND content_hash IS NOT NULL
GROUP BY cluster_id, url;
