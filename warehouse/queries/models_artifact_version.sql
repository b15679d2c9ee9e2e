-- The version of the artefact models_artifact_by_hash would load, without reading its arrays.
SELECT model_version
FROM model_artifacts
WHERE training_data_hash = ? AND code_version = ?
ORDER BY created_at DESC
LIMIT 1
