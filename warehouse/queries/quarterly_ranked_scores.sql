-- Every ranked label's score per (cluster, dimension) of a quarter ($quarter), from the newest
-- finished classification run of the quarter that classified that cluster and dimension (the
-- runs of quarterly_top_suggestions.sql, all ranks).
WITH runs AS (
    SELECT run_id, finished_at, started_at
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
SELECT s.cluster_id, s.dimension, s.label_key, s.score
FROM suggestions s
JOIN latest l ON l.cluster_id = s.cluster_id AND l.dimension = s.dimension AND l.run_id = s.run_id
ORDER BY s.cluster_id, s.dimension, s.rank;
