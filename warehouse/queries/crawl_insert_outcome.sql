INSERT INTO site_outcomes (crawl_run_id, cluster_id, seed_url, outcome, pages, detail, finished_at)
VALUES (?, ?, ?, ?, ?, ?, ?);
