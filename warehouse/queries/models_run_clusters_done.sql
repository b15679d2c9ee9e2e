SELECT DISTINCT cluster_id FROM suggestions WHERE run_id = ?
