-- Review decisions up to a date ($until, exclusive), with the suggestion they answered.
SELECT d.decision_id, d.cluster_id, d.dimension, d.action, d.labels, d.reviewer, d.decided_at,
       s.label_key AS suggested_label, s.run_id
FROM review_decisions d
LEFT JOIN suggestions s USING (suggestion_id)
WHERE d.decided_at < $until
ORDER BY d.decided_at;
