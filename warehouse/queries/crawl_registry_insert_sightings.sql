-- One batch of registry sightings in one statement. new_sightings: a registered relation with
-- the columns below.
INSERT INTO cluster_sightings (
    crawl_run_id, cluster_id, seen_at, name, bundeslaender, website, registry_profile_url,
    technologiefelder, foerdermassnahmen
)
SELECT crawl_run_id, cluster_id, seen_at, name, bundeslaender, website, registry_profile_url,
       technologiefelder, foerdermassnahmen
FROM new_sightings
ON CONFLICT DO NOTHING;
