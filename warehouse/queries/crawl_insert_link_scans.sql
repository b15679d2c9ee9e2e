-- What the crawl read from scanned bodies, set-based (one list per column, equal lengths;
-- $5/$6 lists of lists). A scan already stored under the same key adds nothing.
INSERT INTO page_link_scans (
    content_hash, base_url, link_limit, title, has_text, links_dropped, links, anchors, scanned_at
)
SELECT
    unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), unnest($3::INTEGER[]), unnest($4::VARCHAR[]),
    unnest($5::BOOLEAN[]), unnest($6::INTEGER[]), unnest($7::VARCHAR[][]),
    unnest($8::VARCHAR[][]), now()::TIMESTAMP
ON CONFLICT DO NOTHING;
