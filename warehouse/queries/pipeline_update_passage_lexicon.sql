-- New lexicon columns of passages, in bulk (derived data; the text itself never changes).
-- new_lexicon: a registered relation (snapshot_id, seq, lexicon_terms, lexicon_score,
-- technology_terms)
UPDATE passages
SET lexicon_terms = n.lexicon_terms::VARCHAR[], lexicon_score = n.lexicon_score,
    technology_terms = n.technology_terms::VARCHAR[]
FROM new_lexicon n
WHERE passages.snapshot_id = n.snapshot_id AND passages.seq = n.seq;
