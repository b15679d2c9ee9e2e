-- Runs of a kind and quarter that never finished (newest first): candidates for resuming.
SELECT crawl_run_id, status, stats
FROM crawl_runs
WHERE kind = ? AND quarter IS NOT DISTINCT FROM ? AND status IN ('running', 'interrupted')
ORDER BY started_at DESC;
