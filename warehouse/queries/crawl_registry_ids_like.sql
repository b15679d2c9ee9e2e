SELECT cluster_id FROM clusters WHERE cluster_id LIKE ?;
