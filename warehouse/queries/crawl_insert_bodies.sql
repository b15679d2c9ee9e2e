-- New bodies of finished sites, set-based: $1 their sha256 hashes, $2 the bodies (lists of
-- equal length). Bodies are stored once per hash; one already stored adds nothing.
INSERT INTO page_bodies (content_hash, body, stored_at)
SELECT unnest($1::VARCHAR[]), unnest($2::BLOB[]), now()::TIMESTAMP
ON CONFLICT DO NOTHING;
