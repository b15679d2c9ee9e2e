-- Cached vectors in bulk; a concurrent run that stored the same (model, hash) first wins.
-- $1: model_id; new_embeddings: a registered relation (passage_hash, vector)
INSERT INTO embeddings (model_id, passage_hash, vector)
SELECT $1, passage_hash, vector::FLOAT[]
FROM new_embeddings
ON CONFLICT DO NOTHING;
