-- What registry matching needs of every known cluster.
SELECT cluster_id, name, alt_names, website, registry_profile_url, origin, bundeslaender, go_cluster
FROM clusters
ORDER BY cluster_id;
