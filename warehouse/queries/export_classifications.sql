-- One row per effective (cluster, dimension, label) on $as_of. A version with an empty label
-- set (reviewed: no label applies) yields no row; `clusterradar history` shows it.
WITH effective AS (
    SELECT *
    FROM effective_classifications
    WHERE valid_from <= $as_of
      AND (valid_to IS NULL OR valid_to > $as_of)
),
per_label AS (
    SELECT *, unnest(list_distinct(labels)) AS label_key
    FROM effective
)
SELECT
    p.cluster_id,
    c.name AS cluster_name,
    coalesce(c.bundeslaender, []) AS bundeslaender,
    c.website,
    p.dimension,
    p.label_key,
    p.source,
    p.valid_from,
    p.valid_to,
    p.decided_by,
    p.decided_at,
    p.model_version,
    p.evidence_urls,
    p.version_id
FROM per_label p
LEFT JOIN clusters c ON c.cluster_id = p.cluster_id
ORDER BY p.cluster_id, p.dimension, p.label_key;
