SELECT cluster_id, dimension, label_key, score, rank
FROM suggestions
WHERE run_id = ?
ORDER BY cluster_id, dimension, rank
