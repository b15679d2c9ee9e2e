-- Marks a snapshot as split (also when it yielded no passages).
-- $1: snapshot_id, $2: passages, $3: lexicon_hash, $4: nlp_pipeline
INSERT INTO passage_sets (snapshot_id, passages, lexicon_hash, nlp_pipeline, created_at)
VALUES ($1, $2, $3, $4, now()::TIMESTAMP)
ON CONFLICT DO NOTHING;
