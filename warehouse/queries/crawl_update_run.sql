-- status, finished_at, stats of one run.
UPDATE crawl_runs SET status = ?, finished_at = ?, stats = ? WHERE crawl_run_id = ?;
