-- The newest finished classification run whose inputs had this fingerprint
-- (models/classify_inputs.py), by this code version: what it derived from them (model
-- version, training data, per-cluster passage-set hashes) holds for the same inputs again.
SELECT run_id, model_version, training_data_hash, parameters
FROM classification_runs
WHERE status = 'finished' AND code_version = ?
  AND json_extract_string(parameters, '$.inputs_fingerprint') = ?
ORDER BY finished_at DESC
LIMIT 1
