-- A cluster first known from the paper's label file.
INSERT INTO clusters
    (cluster_id, name, alt_names, bundeslaender, website, go_cluster, origin, first_seen, last_seen)
VALUES
    ($cluster_id, $name, [], $bundeslaender, $website, $go_cluster, 'paper', $now, $now);
