SELECT outcome, count(*) FROM site_outcomes WHERE crawl_run_id = ? GROUP BY outcome ORDER BY outcome;
