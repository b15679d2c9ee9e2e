-- Per cluster: the latest finished run (other than $run_id) that computed suggestions for it
-- itself (no carried-forward note), with that run's quarter: what an unreachable website's
-- cluster carries forward.
SELECT s.cluster_id, arg_max(r.run_id, r.finished_at) AS run_id,
       arg_max(r.quarter, r.finished_at) AS quarter
FROM suggestions s
JOIN classification_runs r ON r.run_id = s.run_id
LEFT JOIN axis_scores a ON a.run_id = s.run_id AND a.cluster_id = s.cluster_id
WHERE r.status = 'finished' AND r.run_id <> $run_id AND a.note IS NULL
  AND list_contains($cluster_ids::VARCHAR[], s.cluster_id)
GROUP BY s.cluster_id
ORDER BY s.cluster_id
