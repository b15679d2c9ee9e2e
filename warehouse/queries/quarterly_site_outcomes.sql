-- Newest site outcome per cluster among the site crawls of a quarter ($quarter).
SELECT o.cluster_id, arg_max(o.outcome, o.finished_at) AS outcome,
       arg_max(o.seed_url, o.finished_at) AS seed_url,
       arg_max(o.detail, o.finished_at) AS detail,
       arg_max(o.pages, o.finished_at) AS pages
FROM site_outcomes o
JOIN crawl_runs r USING (crawl_run_id)
WHERE r.kind = 'sites' AND r.quarter = $quarter
GROUP BY o.cluster_id
ORDER BY o.cluster_id;
