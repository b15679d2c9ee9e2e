-- Cached vectors in bulk, leaving out the hashes that already have a vector of the model (a
-- concurrent run that stored them first wins). The anti-join costs a third of what
-- ON CONFLICT DO NOTHING cost here (issue 17); the primary key still refuses a duplicate.
-- $1: model_id; new_embeddings: a registered relation (passage_hash, vector)
INSERT INTO embeddings (model_id, passage_hash, vector)
SELECT $1, n.passage_hash, n.vector::FLOAT[]
FROM new_embeddings AS n
WHERE NOT EXISTS (
    SELECT 1 FROM embeddings AS e WHERE e.model_id = $1 AND e.passage_hash = n.passage_hash
);
