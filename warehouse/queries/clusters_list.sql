-- Every cluster with all its current facts, optionally just one ($cluster_id NULL: all), by id.
SELECT
    cluster_id, name, alt_names, bundeslaender, website, registry_profile_url, go_cluster,
    technologiefelder, foerdermassnahmen, origin, first_seen, last_seen, missing_since, created_at
FROM clusters
WHERE $cluster_id IS NULL OR cluster_id = $cluster_id
ORDER BY cluster_id;
