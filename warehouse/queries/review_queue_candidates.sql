-- Review queue candidates: every suggestion of the latest finished classification run per
-- (cluster, dimension), optionally limited to one run ($run_id) or quarter ($quarter), with the
-- cluster's registry facts and what review already did (concluded? who decided?); with
-- $cluster_ids (NULL: every cluster) only those clusters' (the review app's in-memory queue
-- recomputes the clusters whose reviews changed, review/queue_index.py).
-- Ranking and filtering are done in Python (clusterradar.review.queue), where they are tested.
WITH runs AS (
    SELECT run_id, quarter, finished_at
    FROM classification_runs
    WHERE status = 'finished'
      AND ($run_id IS NULL OR run_id = $run_id)
      AND ($quarter IS NULL OR quarter = $quarter)
),
latest AS (
    SELECT s.cluster_id, s.dimension, arg_max(s.run_id, r.finished_at) AS run_id
    FROM suggestions s
    JOIN runs r ON r.run_id = s.run_id
    WHERE $cluster_ids IS NULL OR list_contains($cluster_ids, s.cluster_id)
    GROUP BY s.cluster_id, s.dimension
),
decided AS (
    SELECT suggestion_id, list(DISTINCT reviewer ORDER BY reviewer) AS reviewers
    FROM review_decisions
    WHERE suggestion_id IS NOT NULL
      AND ($cluster_ids IS NULL OR list_contains($cluster_ids, cluster_id))
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
JOIN latest l ON l.cluster_id = s.cluster_id AND l.dimension = s.dimension AND l.run_id = s.run_id
JOIN runs r ON r.run_id = s.run_id
LEFT JOIN clusters c ON c.cluster_id = s.cluster_id
LEFT JOIN review_conclusions k ON k.suggestion_id = s.suggestion_id
LEFT JOIN decided d ON d.suggestion_id = s.suggestion_id
ORDER BY s.cluster_id, s.dimension, s.rank;
