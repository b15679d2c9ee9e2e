-- Distinct passages that have no cached vector for the given model yet.
-- $1: model_id, $2: VARCHAR[] of cluster ids, or NULL for all
SELECT p.passage_hash, any_value(p.text) AS text
FROM passages p
LEFT JOIN embeddings e ON e.model_id = $1 AND e.passage_hash = p.passage_hash
WHERE e.passage_hash IS NULL
  AND ($2::VARCHAR[] IS NULL OR list_contains($2::VARCHAR[], p.cluster_id))
GROUP BY p.passage_hash
ORDER BY p.passage_hash;
