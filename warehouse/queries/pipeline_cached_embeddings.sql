-- Cached vectors of one model for a list of passage hashes.
-- $1: model_id, $2: VARCHAR[] of passage hashes
SELECT passage_hash, vector
FROM embeddings
WHERE model_id = $1
  AND passage_hash IN (SELECT unnest($2::VARCHAR[]));
