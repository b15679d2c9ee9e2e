-- The newest artefact trained on exactly this input (hash covers labels, text, embedder, params).
SELECT model_version, created_at, training_data_hash, classifier, embedding_model, n_examples,
       params, arrays, code_version
FROM model_artifacts
WHERE training_data_hash = ?
ORDER BY created_at DESC
LIMIT 1
