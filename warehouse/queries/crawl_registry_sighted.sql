-- Clusters already sighted by a registry run (one sighting per cluster and run).
SELECT cluster_id FROM cluster_sightings WHERE crawl_run_id = ?;
