-- Clusters to classify: all known, or those named (NULL list = all).
SELECT cluster_id, name, website, technologiefelder, go_cluster, foerdermassnahmen
FROM clusters
WHERE ?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], cluster_id)
ORDER BY cluster_id
