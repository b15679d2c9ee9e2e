-- The most recent paper-sourced version per cluster in one dimension ($dimension):
-- what the label files said at the last load, to detect changed labels.
SELECT cluster_id, labels, valid_from
FROM (
    SELECT
        cluster_id, labels, valid_from,
        row_number() OVER (PARTITION BY cluster_id ORDER BY valid_from DESC, seq DESC) AS recency
    FROM classification_versions
    WHERE source = 'paper' AND dimension = $dimension
)
WHERE recency = 1;
