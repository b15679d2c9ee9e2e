-- One passage row; a concurrent run that split the same snapshot first wins.
-- $1 snapshot_id, $2 cluster_id, $3 seq, $4 passage_hash, $5 text, $6 lemmas,
-- $7 lexicon_terms, $8 lexicon_score, $9 page_kind, $10 url, $11 language
INSERT INTO passages (snapshot_id, cluster_id, seq, passage_hash, text, lemmas,
                      lexicon_terms, lexicon_score, page_kind, url, language)
VALUES ($1, $2, $3, $4, $5, $6, $7::VARCHAR[], $8, $9, $10, $11)
ON CONFLICT DO NOTHING;
