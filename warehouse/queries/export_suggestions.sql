-- The rank-1 suggestion per (cluster, dimension) of a quarter ($quarter), each from the newest
-- finished classification run of the quarter that classified that cluster and dimension (the
-- rule of quarterly_top_suggestions.sql and the review queue), with the cluster's registry
-- facts, the evidence URLs and the review state: the concluding decision when review of the
-- suggestion is concluded (review_conclusions), else none (undecided; in four-eyes mode a
-- first decision awaiting the second reviewer is still undecided).
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
evidence AS (
    SELECT suggestion_id, list(url ORDER BY rank) FILTER (WHERE url IS NOT NULL) AS urls
    FROM suggestion_evidence
    GROUP BY suggestion_id
)
SELECT
    $quarter AS quarter,
    s.cluster_id,
    coalesce(c.name, s.cluster_id) AS cluster_name,
    coalesce(c.bundeslaender, []) AS bundeslaender,
    c.website,
    s.dimension,
    s.label_key,
    s.score,
    s.model_version,
    s.run_id,
    s.suggestion_id,
    s.created_at AS suggested_at,
    k.action AS concluded_action,
    d.labels AS decided_labels,
    d.reviewer AS decided_by,
    d.decided_at,
    coalesce(e.urls, []) AS evidence_urls
FROM suggestions s
JOIN latest l ON l.cluster_id = s.cluster_id AND l.dimension = s.dimension AND l.run_id = s.run_id
LEFT JOIN clusters c ON c.cluster_id = s.cluster_id
LEFT JOIN review_conclusions k ON k.suggestion_id = s.suggestion_id
LEFT JOIN review_decisions d ON d.decision_id = k.decision_id
LEFT JOIN evidence e ON e.suggestion_id = s.suggestion_id
WHERE s.rank = 1
ORDER BY s.cluster_id, s.dimension;
