-- Rank-1 suggestions of one cluster ($cluster_id) from the quarter before the one the cluster
-- page shows: per dimension, the newest finished run that finished before the cluster's latest
-- run in that dimension and belongs to an earlier quarter (when both runs have one).
WITH runs AS (
    SELECT DISTINCT s.dimension, r.run_id, r.quarter, r.finished_at
    FROM suggestions s
    JOIN classification_runs r ON r.run_id = s.run_id
    WHERE s.cluster_id = $cluster_id AND r.status = 'finished'
),
latest AS (
    SELECT dimension, arg_max(quarter, finished_at) AS quarter, max(finished_at) AS finished_at
    FROM runs
    GROUP BY dimension
),
previous AS (
    SELECT r.dimension, arg_max(r.run_id, r.finished_at) AS run_id
    FROM runs r
    JOIN latest l ON l.dimension = r.dimension
    WHERE r.finished_at < l.finished_at
      AND (l.quarter IS NULL OR r.quarter IS NULL OR r.quarter < l.quarter)
    GROUP BY r.dimension
)
SELECT s.suggestion_id, s.run_id, s.cluster_id, s.dimension, s.label_key, s.score, s.rank,
       s.model_version, r.quarter
FROM suggestions s
JOIN previous p ON p.run_id = s.run_id AND p.dimension = s.dimension
JOIN classification_runs r ON r.run_id = s.run_id
WHERE s.cluster_id = $cluster_id AND s.rank = 1
ORDER BY s.dimension, s.score DESC;
