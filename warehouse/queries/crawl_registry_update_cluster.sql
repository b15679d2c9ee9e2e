-- A registry sighting of a known cluster: refresh its facts, clear missing_since.
UPDATE clusters SET
    name = ?,
    alt_names = ?,
    bundeslaender = ?,
    website = ?,
    registry_profile_url = ?,
    go_cluster = ?,
    technologiefelder = ?,
    foerdermassnahmen = ?,
    last_seen = ?,
    missing_since = NULL
WHERE cluster_id = ?;
