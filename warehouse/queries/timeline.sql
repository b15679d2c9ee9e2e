-- Every classification version of one cluster, oldest first, with its validity interval.
SELECT
    e.version_id, e.cluster_id, e.dimension, e.labels, e.valid_from, e.valid_to, e.source,
    e.source_ref, e.decided_by, e.decided_at, e.model_version, e.evidence_urls, e.recorded_at
FROM effective_classifications e
WHERE e.cluster_id = $cluster_id
ORDER BY e.dimension, e.valid_from, e.seq;
