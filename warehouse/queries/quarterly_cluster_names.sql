-- Names and Länder of all clusters, for labelling reports and diffs.
SELECT cluster_id, name, bundeslaender, website, origin, first_seen, missing_since
FROM clusters
ORDER BY cluster_id;
