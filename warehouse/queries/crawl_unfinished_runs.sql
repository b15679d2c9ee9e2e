-- Runs of a kind and quarter that never finished (newest first): candidates for resuming
-- (settings.request_hash says what each asked for) or abandoning.
SELECT crawl_run_id, status, started_at, settings, stats
FROM crawl_runs
WHERE kind = ? AND quarter IS NOT DISTINCT FROM ? AND status IN ('running', 'interrupted')
ORDER BY started_at DESC;
