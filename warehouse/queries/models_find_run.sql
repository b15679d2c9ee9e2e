-- Runs of one quarter with one model version and one input (idempotency of classify).
SELECT run_id, status, parameters
FROM classification_runs
WHERE quarter IS NOT DISTINCT FROM ? AND model_version = ? AND training_data_hash = ?
ORDER BY started_at DESC
