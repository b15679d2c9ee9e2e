UPDATE classification_runs SET status = ?, finished_at = ? WHERE run_id = ?
