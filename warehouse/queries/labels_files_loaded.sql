-- How often label files with this content hash ($files_hash) were loaded before.
SELECT count(*) FROM label_loads WHERE files_hash = $files_hash;
