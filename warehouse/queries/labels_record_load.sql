-- One load of the label files (by content hash).
INSERT INTO label_loads (load_id, files_hash, loaded_at, clusters, new_versions)
VALUES ($load_id, $files_hash, $loaded_at, $clusters, $new_versions);
