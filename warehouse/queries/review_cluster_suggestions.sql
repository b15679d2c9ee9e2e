-- The suggestions of one cluster from its latest finished run per dimension (what the cluster
-- page shows), with their review state.
WITH latest AS (
    SELECT s.dimension, arg_max(s.run_id, r.finished_at) AS run_id
    FROM suggestions s
    JOIN classification_runs r ON r.run_id = s.run_id
    WHERE s.cluster_id = $cluster_id AND r.status = 'finished'
    GROUP BY s.dimension
),
decided AS (
    SELECT suggestion_id, list(DISTINCT reviewer ORDER BY reviewer) AS reviewers
    FROM review_decisions
    WHERE cluster_id = $cluster_id AND suggestion_id IS NOT NULL
    GROUP BY suggestion_id
)
SELECT
    s.suggestion_id, s.run_id, r.quarter, s.cluster_id,
    coalesce(c.name, s.cluster_id) AS cluster_name,
    coalesce(c.bundeslaender, []) AS bundeslaender,
    s.dimension, s.label_key, s.score, s.rank, s.model_version,
    k.suggestion_id IS NOT NULL AS concluded,
    coalesce(d.reviewers, []) AS reviewers,
    c.missing_since IS NOT NULL AS dropped
FROM suggestions s
JOIN latest l ON l.dimension = s.dimension AND l.run_id = s.run_id
JOIN classification_runs r ON r.run_id = s.run_id
LEFT JOIN clusters c ON c.cluster_id = s.cluster_id
LEFT JOIN review_conclusions k ON k.suggestion_id = s.suggestion_id
LEFT JOIN decided d ON d.suggestion_id = s.suggestion_id
WHERE s.cluster_id = $cluster_id
ORDER BY s.dimension, s.rank;
