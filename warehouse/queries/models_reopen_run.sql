-- An interrupted or failed run that classify resumes is 'running' again until it ends.
UPDATE classification_runs SET status = 'running', finished_at = NULL WHERE run_id = ?
