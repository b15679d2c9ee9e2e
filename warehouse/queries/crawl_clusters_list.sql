-- Every cluster with its newest site crawl outcome (NULL: never crawled).
WITH last AS (
    SELECT
        cluster_id,
        arg_max(outcome, finished_at) AS last_outcome,
        arg_max(pages, finished_at) AS last_pages,
        max(finished_at) AS last_crawled
    FROM site_outcomes
    GROUP BY cluster_id
)
SELECT
    c.cluster_id, c.name, c.origin, c.bundeslaender, c.website, c.go_cluster,
    c.registry_profile_url, c.first_seen, c.last_seen, c.missing_since,
    l.last_outcome, l.last_pages, l.last_crawled
FROM clusters c
LEFT JOIN last l USING (cluster_id)
ORDER BY c.cluster_id;
