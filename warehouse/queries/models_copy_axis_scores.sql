-- The axis-score rows of the copied clusters, marked with the run they came from and $note.
-- A run from before migration 0008 has no axis row: the copy then holds the rank-1 intensity
-- label and the note, with the scores NULL.
INSERT INTO axis_scores
    (run_id, cluster_id, model_version, passages_hash, technology_potential,
     security_orientation, relevance, outcome, evidence, carried_from_run, note, created_at)
SELECT $to_run, s.cluster_id, coalesce(a.model_version, s.model_version), a.passages_hash,
       a.technology_potential, a.security_orientation, a.relevance, s.label_key,
       coalesce(a.evidence, '{"technology": [], "security": []}'::JSON), $from_run, $note,
       $created_at
FROM suggestions s
LEFT JOIN axis_scores a ON a.run_id = s.run_id AND a.cluster_id = s.cluster_id
WHERE s.run_id = $from_run AND s.dimension = 'intensity' AND s.rank = 1
  AND list_contains($cluster_ids::VARCHAR[], s.cluster_id)
