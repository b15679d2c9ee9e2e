-- Every suggestion of one cluster ($cluster_id) from a finished classification run, with the
-- run's quarter and end, the cluster's registry facts and what review already did to it
-- (concluded? who decided?). The cluster page takes from these rows the latest run per
-- dimension and the run of the quarter before (clusterradar.warehouse.review_pages): one
-- plain scan instead of two queries that each grouped and joined the suggestions (issue 17).
SELECT
    s.suggestion_id, s.run_id, r.quarter, s.cluster_id,
    coalesce(c.name, s.cluster_id) AS cluster_name,
    coalesce(c.bundeslaender, []) AS bundeslaender,
    s.dimension, s.label_key, s.score, s.rank, s.model_version,
    k.suggestion_id IS NOT NULL AS concluded,
    coalesce(d.reviewers, []) AS reviewers,
    c.missing_since IS NOT NULL AS dropped,
    r.finished_at
FROM suggestions s
JOIN classification_runs r ON r.run_id = s.run_id
LEFT JOIN clusters c ON c.cluster_id = s.cluster_id
LEFT JOIN review_conclusions k ON k.suggestion_id = s.suggestion_id
LEFT JOIN (
    SELECT suggestion_id, list(DISTINCT reviewer ORDER BY reviewer) AS reviewers
    FROM review_decisions
    WHERE cluster_id = $cluster_id AND suggestion_id IS NOT NULL
    GROUP BY suggestion_id
) d ON d.suggestion_id = s.suggestion_id
WHERE s.cluster_id = $cluster_id AND r.status = 'finished' AND r.finished_at IS NOT NULL;
