INSERT INTO clusters (
    cluster_id, name, bundeslaender, website, registry_profile_url, go_cluster,
    technologiefelder, foerdermassnahmen, origin, first_seen, last_seen
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
