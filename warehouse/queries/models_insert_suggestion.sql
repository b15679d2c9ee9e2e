-- One batch of suggestions in one statement: the columns come as equally long lists that
-- unnest zips into rows. (Row-by-row inserts held the warehouse about a second per batch,
-- keeping reviewers' decisions waiting.)
INSERT INTO suggestions
    (suggestion_id, run_id, cluster_id, dimension, label_key, score, rank, model_version,
     training_data_hash, created_at)
SELECT unnest($suggestion_id::VARCHAR[]), $run_id, unnest($cluster_id::VARCHAR[]),
       unnest($dimension::VARCHAR[]), unnest($label_key::VARCHAR[]), unnest($score::DOUBLE[]),
       unnest($rank::INTEGER[]), $model_version, $training_data_hash, $created_at
