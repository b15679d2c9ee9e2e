-- New lexicon columns of one passage (derived data; the text itself never changes).
-- $1: lexicon_terms, $2: lexicon_score, $3: snapshot_id, $4: seq
UPDATE passages
SET lexicon_terms = $1::VARCHAR[], lexicon_score = $2
WHERE snapshot_id = $3 AND seq = $4;
