-- One cached vector; a concurrent run that stored the same (model, hash) first wins.
-- $1: model_id, $2: passage_hash, $3: FLOAT[] vector
INSERT INTO embeddings (model_id, passage_hash, vector)
VALUES ($1, $2, $3::FLOAT[])
ON CONFLICT DO NOTHING;
