-- Every classification version of one cluster with its validity interval and, for review
-- versions, the reviewer's comment (source_ref holds the decision id).
SELECT
    e.version_id, e.dimension, e.labels, e.valid_from, e.valid_to, e.source, e.source_ref,
    e.decided_by, e.decided_at, e.model_version, e.evidence_urls, e.recorded_at,
    d.comment
FROM effective_classifications e
LEFT JOIN review_decisions d ON e.source = 'review' AND d.decision_id = e.source_ref
WHERE e.cluster_id = $cluster_id
ORDER BY e.dimension, e.valid_from, e.seq;
