-- Bodies are stored once per sha256; a second identical body adds nothing.
INSERT INTO page_bodies (content_hash, body, stored_at)
VALUES (?, ?, now()::TIMESTAMP)
ON CONFLICT DO NOTHING;
