-- Suggestions of a quarter's classification runs ($quarter; NULL: runs of any quarter) that a
-- reviewer decided, whenever that was: per suggestion its concluding decision (review_conclusions)
-- or, while a four-eyes decision waits for a second reviewer, concluded = false and the newest
-- decision so far. One row per suggestion.
WITH quarter_suggestions AS (
    SELECT s.suggestion_id, s.cluster_id, s.dimension, s.label_key, s.rank, r.quarter
    FROM suggestions s
    JOIN classification_runs r ON r.run_id = s.run_id
    WHERE r.status = 'finished' AND ($quarter IS NULL OR r.quarter = $quarter)
),
newest AS (
    SELECT suggestion_id, arg_max(decision_id, decided_at) AS decision_id
    FROM review_decisions
    WHERE suggestion_id IS NOT NULL
    GROUP BY suggestion_id
)
SELECT q.suggestion_id, q.cluster_id, q.dimension, q.label_key AS suggested_label, q.rank,
       q.quarter,
       k.suggestion_id IS NOT NULL AS concluded,
       coalesce(k.action, d.action) AS action,
       d.labels, d.reviewer, d.decided_at
FROM quarter_suggestions q
LEFT JOIN review_conclusions k ON k.suggestion_id = q.suggestion_id
LEFT JOIN newest n ON n.suggestion_id = q.suggestion_id
JOIN review_decisions d ON d.decision_id = coalesce(k.decision_id, n.decision_id)
ORDER BY d.decided_at, q.suggestion_id;
