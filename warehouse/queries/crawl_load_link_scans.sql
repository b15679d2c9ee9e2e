-- The stored scans of the bodies with the hashes in $1, read with link cap $2: what a
-- recrawl's unchanged pages of a few sites need instead of their bodies.
SELECT content_hash, base_url, title, has_text, links_dropped, links, anchors
FROM page_link_scans
WHERE content_hash IN (SELECT unnest($1::VARCHAR[])) AND link_limit = $2;
