INSERT INTO suggestions
    (suggestion_id, run_id, cluster_id, dimension, label_key, score, rank, model_version,
     training_data_hash, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
