-- Effective classification versions at a date ($as_of), optionally for one cluster/dimension.
SELECT
    e.version_id, e.cluster_id, e.dimension, e.labels, e.valid_from, e.valid_to, e.source,
    e.source_ref, e.decided_by, e.decided_at, e.model_version, e.evidence_urls, e.recorded_at
FROM effective_classifications e
WHERE e.valid_from <= $as_of
  AND (e.valid_to IS NULL OR e.valid_to > $as_of)
  AND ($cluster_id IS NULL OR e.cluster_id = $cluster_id)
  AND ($dimension IS NULL OR e.dimension = $dimension)
ORDER BY e.cluster_id, e.dimension;
