-- $1: now, $2: the complete registry run. Clusters a registry crawl has listed before (they
-- have a profile URL) but this run did not see are marked missing (once; never deleted).
UPDATE clusters SET missing_since = $1
WHERE registry_profile_url IS NOT NULL
  AND missing_since IS NULL
  AND cluster_id NOT IN (SELECT cluster_id FROM cluster_sightings WHERE crawl_run_id = $2)
RETURNING cluster_id;
