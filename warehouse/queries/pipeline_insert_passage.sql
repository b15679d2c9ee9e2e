-- Passage rows in bulk; a concurrent run that split the same snapshot first wins.
-- new_passages: a registered relation with the columns below
INSERT INTO passages (snapshot_id, cluster_id, seq, passage_hash, text, lemmas,
                      lexicon_terms, lexicon_score, page_kind, url, language, technology_terms)
SELECT snapshot_id, cluster_id, seq, passage_hash, text, lemmas,
       lexicon_terms::VARCHAR[], lexicon_score, page_kind, url, language,
       technology_terms::VARCHAR[]
FROM new_passages
ON CONFLICT DO NOTHING;
