-- Outcomes of finished sites, set-based: one list per column, all of equal length ($1 is the
-- run id, the same for every row).
INSERT INTO site_outcomes (crawl_run_id, cluster_id, seed_url, outcome, pages, detail, finished_at)
SELECT
    $1::VARCHAR, unnest($2::VARCHAR[]), unnest($3::VARCHAR[]), unnest($4::VARCHAR[]),
    unnest($5::INTEGER[]), unnest($6::VARCHAR[]), unnest($7::TIMESTAMP[]);
