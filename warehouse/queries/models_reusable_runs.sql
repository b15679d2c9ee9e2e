-- Per wanted (cluster, passages_hash): the latest finished run in which this model version
-- classified the cluster from exactly that passage set itself (not carried forward with a
-- note), so its suggestions can be copied instead of computed again.
WITH wanted AS (
    SELECT unnest($cluster_ids::VARCHAR[]) AS cluster_id,
           unnest($passages_hashes::VARCHAR[]) AS passages_hash
)
SELECT a.cluster_id, arg_max(a.run_id, r.finished_at) AS run_id
FROM axis_scores a
JOIN wanted w ON w.cluster_id = a.cluster_id AND w.passages_hash = a.passages_hash
JOIN classification_runs r ON r.run_id = a.run_id
WHERE a.model_version = $model_version AND a.note IS NULL AND r.status = 'finished'
  AND r.run_id <> $run_id
GROUP BY a.cluster_id
ORDER BY a.cluster_id
