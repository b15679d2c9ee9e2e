-- Whether any passage lacks a vector of the model: stops at the first one, so it costs tens of
-- milliseconds where reading every missing text costs half a second (issue 17).
-- $1: model_id, $2: VARCHAR[] of cluster ids, or NULL for all
SELECT EXISTS (
    SELECT 1
    FROM passages p
    WHERE ($2::VARCHAR[] IS NULL OR list_contains($2::VARCHAR[], p.cluster_id))
      AND NOT EXISTS (
          SELECT 1 FROM embeddings e WHERE e.model_id = $1 AND e.passage_hash = p.passage_hash
      )
);
