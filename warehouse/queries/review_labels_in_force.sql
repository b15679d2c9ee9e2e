-- Labels in force on $as_of per (cluster, dimension): of the pair's versions valid from $as_of
-- or earlier, the one recorded last in (valid_from, seq) order, the same version the
-- effective_classifications view puts in force, without its window over every column of
-- every version (issue 17). With $cluster_ids (NULL: every cluster) only those clusters'.
SELECT cluster_id, dimension, arg_max(labels, (valid_from, seq)) AS labels
FROM classification_versions
WHERE valid_from <= $as_of
  AND ($cluster_ids IS NULL OR list_contains($cluster_ids, cluster_id))
GROUP BY cluster_id, dimension;
