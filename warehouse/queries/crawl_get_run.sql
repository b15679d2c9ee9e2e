SELECT crawl_run_id, kind, quarter, status, started_at, finished_at, settings, stats
FROM crawl_runs
WHERE crawl_run_id = ?;
