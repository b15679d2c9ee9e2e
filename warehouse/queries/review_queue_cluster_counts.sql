-- Per cluster, how many review decisions, label versions and review conclusions it has. These
-- tables are append-only, so a cluster whose counts moved is exactly a cluster whose queue
-- items may have changed (review/queue_index.py reads this when the totals of
-- review_queue_stamp.sql moved, and recomputes only those clusters' items).
SELECT
    cluster_id,
    count(*) FILTER (WHERE part = 'd') AS decisions,
    count(*) FILTER (WHERE part = 'v') AS versions,
    count(*) FILTER (WHERE part = 'k') AS conclusions
FROM (
    SELECT cluster_id, 'd' AS part FROM review_decisions
    UNION ALL
    SELECT cluster_id, 'v' FROM classification_versions
    UNION ALL
    SELECT s.cluster_id, 'k'
    FROM review_conclusions k JOIN suggestions s ON s.suggestion_id = k.suggestion_id
)
GROUP BY cluster_id;
