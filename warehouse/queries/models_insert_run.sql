INSERT INTO classification_runs
    (run_id, quarter, started_at, finished_at, status, model_version, code_version,
     training_data_hash, parameters)
VALUES (?, ?, ?, NULL, 'running', ?, ?, ?, ?)
