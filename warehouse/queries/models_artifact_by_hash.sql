-- The newest artefact trained on exactly this input (hash covers labels, text, embedder, params)
-- by this code version (a newer clusterradar retrains rather than reuse an older model).
SELECT model_version, created_at, training_data_hash, classifier, embedding_model, n_examples,
       params, arrays, code_version
FROM model_artifacts
WHERE training_data_hash = ? AND code_version = ?
ORDER BY created_at DESC
LIMIT 1
