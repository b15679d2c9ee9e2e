-- The stored bodies with the hashes in $1: what a recrawl's 304 answers of a few sites need,
-- read in one go instead of one query (and one warehouse opening) per answer.
SELECT content_hash, body
FROM page_bodies
WHERE content_hash IN (SELECT unnest($1::VARCHAR[]));
