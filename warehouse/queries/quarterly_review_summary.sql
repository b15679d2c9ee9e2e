-- Review queue of one quarter ($quarter): the newest finished classification run of the quarter,
-- its top-ranked suggestions, how many are decided, how many differ from the classification
-- in force on $as_of (intensity: label differs; thematic: label not in the current set) and
-- how many concern a (cluster, dimension) with no classification in force at all.
WITH run AS (
    SELECT run_id
    FROM classification_runs
    WHERE quarter = $quarter AND status = 'finished'
    ORDER BY finished_at DESC NULLS LAST, started_at DESC
    LIMIT 1
),
top AS (
    SELECT s.*
    FROM suggestions s JOIN run USING (run_id)
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
    (SELECT run_id FROM run) AS run_id,
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
