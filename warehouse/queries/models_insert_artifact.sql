INSERT INTO model_artifacts
    (model_version, created_at, training_data_hash, classifier, embedding_model, n_examples,
     params, arrays, code_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
