-- One passage row.
INSERT INTO passages (snapshot_id, cluster_id, seq, passage_hash, text, lemmas,
                      lexicon_terms, lexicon_score, page_kind, url, language)
VALUES ($1, $2, $3, $4, $5, $6, $7::VARCHAR[], $8, $9, $10, $11);
