-- Every reject decision on a cluster's suggestions, oldest first, with the rejected label,
-- the run's quarter and whether the decision concluded the review (four-eyes: the second).
SELECT d.decision_id, d.suggestion_id, d.cluster_id, d.dimension, d.action, d.labels,
       d.reviewer, d.decided_at, d.comment,
       s.label_key, r.quarter, k.decision_id IS NOT NULL AS concluded
FROM review_decisions d
LEFT JOIN suggestions s ON s.suggestion_id = d.suggestion_id
LEFT JOIN classification_runs r ON r.run_id = s.run_id
LEFT JOIN review_conclusions k ON k.decision_id = d.decision_id
WHERE d.cluster_id = $cluster_id AND d.action = 'reject'
ORDER BY d.decided_at, d.decision_id
