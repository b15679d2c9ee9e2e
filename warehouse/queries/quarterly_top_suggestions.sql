-- Top-ranked suggestion per (cluster, dimension) of the newest finished classification run of
-- a quarter ($quarter).
WITH run AS (
    SELECT run_id
    FROM classification_runs
    WHERE quarter = $quarter AND status = 'finished'
    ORDER BY finished_at DESC NULLS LAST, started_at DESC
    LIMIT 1
)
SELECT s.run_id, s.suggestion_id, s.cluster_id, s.dimension, s.label_key, s.score, s.model_version
FROM suggestions s JOIN run USING (run_id)
WHERE s.rank = 1
ORDER BY s.cluster_id, s.dimension;
