INSERT INTO suggestion_evidence (suggestion_id, rank, url, snapshot_id, passage, reason, score)
VALUES (?, ?, ?, ?, ?, ?, ?)
