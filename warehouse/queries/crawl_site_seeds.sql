-- Seeds of a site crawl: every cluster, or those in $1 (NULL: all), with their website.
SELECT cluster_id, website
FROM clusters
WHERE $1::VARCHAR[] IS NULL OR list_contains($1::VARCHAR[], cluster_id)
ORDER BY cluster_id;
