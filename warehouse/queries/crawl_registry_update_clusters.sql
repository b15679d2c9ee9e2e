-- Registry sightings of known clusters, one batch in one statement: refresh their facts,
-- clear missing_since. new_facts: a registered relation, one row per cluster (cluster_id,
-- name, alt_names, bundeslaender, website, registry_profile_url, go_cluster,
-- technologiefelder, foerdermassnahmen, last_seen).
UPDATE clusters SET
    name = n.name,
    alt_names = n.alt_names,
    bundeslaender = n.bundeslaender,
    website = n.website,
    registry_profile_url = n.registry_profile_url,
    go_cluster = n.go_cluster,
    technologiefelder = n.technologiefelder,
    foerdermassnahmen = n.foerdermassnahmen,
    last_seen = n.last_seen,
    missing_since = NULL
FROM new_facts n
WHERE clusters.cluster_id = n.cluster_id;
