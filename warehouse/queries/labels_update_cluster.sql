-- New facts for a paper cluster after its label file changed (never deletes a cluster).
UPDATE clusters
SET name = $name,
    alt_names = $alt_names,
    bundeslaender = $bundeslaender,
    website = $website,
    go_cluster = $go_cluster,
    last_seen = $now
WHERE cluster_id = $cluster_id;
