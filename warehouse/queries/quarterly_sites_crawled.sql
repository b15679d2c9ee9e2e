-- Clusters whose website already has an outcome in a finished site crawl of $quarter run with
-- the page budget $max_pages: the quarterly run crawls only the others when the registry
-- listed new initiatives after the quarter's site crawl was done.
SELECT DISTINCT o.cluster_id
FROM site_outcomes o
JOIN crawl_runs r ON r.crawl_run_id = o.crawl_run_id
WHERE r.kind = 'sites' AND r.quarter = $quarter AND r.status = 'finished'
  AND TRY_CAST(json_extract_string(r.settings, '$.max_pages') AS BIGINT)
      IS NOT DISTINCT FROM $max_pages
ORDER BY o.cluster_id;
