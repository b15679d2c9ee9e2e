-- Review queue of one quarter ($quarter): per (cluster, dimension) the top-ranked suggestion of
-- the newest finished classification run of the quarter that classified it (so a later partial
-- run replaces only its own clusters, as in review_queue_candidates.sql); how many are
-- decided, how many differ from the classification in force on $as_of (intensity: label
-- differs; thematic: label not in the current set) and how many concern a (cluster,
-- dimension) with no classification in force at all. `run_id` is the newest contributing run,
-- `runs` how many runs contribute.
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
),
top AS (
    SELECT s.*, coalesce(r.finished_at, r.started_at) AS run_finished_at
    FROM suggestions s
    JOIN latest l
      ON l.cluster_id = s.cluster_id AND l.dimension = s.dimension AND l.run_id = s.run_id
    JOIN runs r ON r.run_id = s.run_id
    WHERE s.rank = 1
),
eff AS (
    SELECT e.cluster_id, e.dimension, e.labels
    FROM effective_classifications e
    WHERE e.valid_from <= $as_of AND (e.valid_to IS NULL OR e.valid_to > $as_of)
),
decided AS (
    SELECT DISTINCT suggestion_id FROM review_decisions WHERE suggestion_id IS NOT NULL
)
SELECT
    arg_max(top.run_id, top.run_finished_at) AS run_id,
    count(DISTINCT top.run_id) AS runs,
    count(*) AS top_suggestions,
    count(DISTINCT top.cluster_id) AS clusters,
    count(*) FILTER (WHERE d.suggestion_id IS NOT NULL) AS decided,
    count(*) FILTER (WHERE d.suggestion_id IS NULL) AS pending,
    count(*) FILTER (
        WHERE (top.dimension = 'intensity' AND eff.labels <> [top.label_key])
           OR (top.dimension <> 'intensity' AND NOT list_contains(eff.labels, top.label_key))
    ) AS differing,
    count(*) FILTER (WHERE eff.labels IS NULL) AS unclassified
FROM top
LEFT JOIN eff ON eff.cluster_id = top.cluster_id AND eff.dimension = top.dimension
LEFT JOIN decided d ON d.suggestion_id = top.suggestion_id;
