-- The evidence of the suggestions models_copy_suggestions.sql copied; a carried-forward
-- suggestion's reasons end with $note (NULL: unchanged).
INSERT INTO suggestion_evidence (suggestion_id, rank, url, snapshot_id, passage, reason, score)
SELECT md5($to_run || e.suggestion_id), e.rank, e.url, e.snapshot_id, e.passage,
       CASE WHEN $note::VARCHAR IS NULL THEN e.reason ELSE e.reason || '; ' || $note END,
       e.score
FROM suggestion_evidence e
JOIN suggestions s ON s.suggestion_id = e.suggestion_id
WHERE s.run_id = $from_run AND list_contains($cluster_ids::VARCHAR[], s.cluster_id)
