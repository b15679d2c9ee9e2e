-- The axis-score rows of one run, for the given clusters (NULL: all), ordered by cluster.
SELECT run_id, cluster_id, model_version, passages_hash, technology_potential,
       security_orientation, relevance, outcome, evidence, carried_from_run, note
FROM axis_scores
WHERE run_id = $run_id
  AND ($cluster_ids::VARCHAR[] IS NULL OR list_contains($cluster_ids::VARCHAR[], cluster_id))
ORDER BY cluster_id
