-- One batch of axis-score rows in one statement (columns as equally long lists, see
-- models_insert_suggestion.sql).
INSERT INTO axis_scores
    (run_id, cluster_id, model_version, passages_hash, technology_potential,
     security_orientation, relevance, outcome, evidence, carried_from_run, note, created_at)
SELECT $run_id, unnest($cluster_id::VARCHAR[]), unnest($model_version::VARCHAR[]),
       unnest($passages_hash::VARCHAR[]), unnest($technology_potential::DOUBLE[]),
       unnest($security_orientation::DOUBLE[]), unnest($relevance::DOUBLE[]),
       unnest($outcome::VARCHAR[]), unnest($evidence::VARCHAR[])::JSON,
       unnest($carried_from_run::VARCHAR[]), unnest($note::VARCHAR[]), $created_at
