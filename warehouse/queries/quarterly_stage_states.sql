-- Latest state of every stage of one quarter ($quarter), in pipeline order.
SELECT quarter, stage, scope, status, attempt_id, started_at, finished_at, ref_id,
       CAST(stats AS VARCHAR) AS stats, detail
FROM quarter_stages
WHERE quarter = $quarter
ORDER BY CASE stage
    WHEN 'registry' THEN 1 WHEN 'sites' THEN 2 WHEN 'pipeline' THEN 3
    WHEN 'classify' THEN 4 WHEN 'review' THEN 5 ELSE 6 END,
    scope;
