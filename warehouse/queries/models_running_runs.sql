-- Runs that say they are being written (a killed process leaves its run in this state).
SELECT run_id FROM classification_runs WHERE status = 'running' ORDER BY started_at
