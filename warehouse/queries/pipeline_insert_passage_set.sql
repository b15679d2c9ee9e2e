-- Marks snapshots as split (also those that yielded no passages), in bulk.
-- new_passage_sets: a registered relation (snapshot_id, passages, lexicon_hash, nlp_pipeline,
-- technology_hash)
INSERT INTO passage_sets (snapshot_id, passages, lexicon_hash, nlp_pipeline, created_at,
                          technology_hash)
SELECT snapshot_id, passages, lexicon_hash, nlp_pipeline, now()::TIMESTAMP, technology_hash
FROM new_passage_sets
ON CONFLICT DO NOTHING;
