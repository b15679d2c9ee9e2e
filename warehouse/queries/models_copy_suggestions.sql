-- Copy the suggestions of some clusters from one run into another (reused or carried-forward
-- classifications). The copy's id is md5(to_run || original id), so the evidence copy
-- (models_copy_evidence.sql) finds it without a lookup table. Scores, ranks, model version and
-- training-data hash stay those of the run that computed them.
INSERT INTO suggestions
    (suggestion_id, run_id, cluster_id, dimension, label_key, score, rank, model_version,
     training_data_hash, created_at)
SELECT md5($to_run || s.suggestion_id), $to_run, s.cluster_id, s.dimension, s.label_key,
       s.score, s.rank, s.model_version, s.training_data_hash, $created_at
FROM suggestions s
WHERE s.run_id = $from_run AND list_contains($cluster_ids::VARCHAR[], s.cluster_id)
