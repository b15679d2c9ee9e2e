-- Sites that already have an outcome in a run (skipped when the run is resumed).
SELECT cluster_id FROM site_outcomes WHERE crawl_run_id = ?;
