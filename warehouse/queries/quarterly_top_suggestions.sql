-- Top-ranked suggestion per (cluster, dimension) of a quarter ($quarter), each taken from the
-- newest finished classification run of the quarter that classified that cluster and
-- dimension. Per (cluster, dimension), not per run: a later partial run
-- (`classify --cluster X`) replaces X's suggestions but leaves everyone else's from the full
-- run in place — the same rule as the review queue (review_queue_candidates.sql).
WITH runs AS (
    SELECT run_id, quarter, finished_at, started_at
    FROM classification_runs
    WHERE quarter = $quarter AND status = 'finished'
),
latest AS (
    SELECT s.cluster_id, s.dimension,
           arg_max(s.run_id, (coalesce(r.finished_at, r.started_at), r.started_at)) AS run_id
    FROM suggestions s
    JOIN runs r ON r.run_id = s.run_id
    GROUP BY s.cluster_id, s.dimension
)
SELECT s.suggestion_id, s.run_id, s.cluster_id, s.dimension, s.label_key, s.score, s.rank,
       s.model_version, r.quarter, coalesce(r.finished_at, r.started_at) AS run_finished_at
FROM suggestions s
JOIN latest l ON l.cluster_id = s.cluster_id AND l.dimension = s.dimension AND l.run_id = s.run_id
JOIN runs r ON r.run_id = s.run_id
WHERE s.rank = 1
ORDER BY s.cluster_id, s.dimension;
