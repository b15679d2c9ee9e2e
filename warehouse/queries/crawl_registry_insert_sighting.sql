INSERT INTO cluster_sightings (
    crawl_run_id, cluster_id, seen_at, name, bundeslaender, website, registry_profile_url,
    technologiefelder, foerdermassnahmen
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;
