-- Labels in force on $as_of per (cluster, dimension): of the pair's versions valid from $as_of
-- or earlier, the one recorded last in (valid_from, seq) order, the same version the
-- effective_classifications view puts in force, without its window over every column of
-- every version (the review queue reads all pairs per request; issue 17).
SELECT cluster_id, dimension, arg_max(labels, (valid_from, seq)) AS labels
FROM classification_versions
WHERE valid_from <= $as_of
GROUP BY cluster_id, dimension;
