-- A new crawl run (registry or sites), running under the process whose pid is in stats.
INSERT INTO crawl_runs (crawl_run_id, kind, quarter, started_at, status, settings, stats)
VALUES (?, ?, ?, ?, 'running', ?, ?);
