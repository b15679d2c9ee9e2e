-- The evidence of one batch of suggestions in one statement (columns as lists, see
-- models_insert_suggestion.sql).
INSERT INTO suggestion_evidence (suggestion_id, rank, url, snapshot_id, passage, reason, score)
SELECT unnest($suggestion_id::VARCHAR[]), unnest($rank::INTEGER[]), unnest($url::VARCHAR[]),
       unnest($snapshot_id::VARCHAR[]), unnest($passage::VARCHAR[]), unnest($reason::VARCHAR[]),
       unnest($score::DOUBLE[])
