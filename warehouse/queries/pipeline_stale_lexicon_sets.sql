-- Split snapshots whose lexicon columns were computed with another lexicon version.
-- $1: current lexicon hash, $2: VARCHAR[] of cluster ids, or NULL for all
SELECT ps.snapshot_id
FROM passage_sets ps
JOIN page_snapshots s ON s.snapshot_id = ps.snapshot_id
WHERE ps.lexicon_hash <> $1
  AND ($2::VARCHAR[] IS NULL OR list_contains($2::VARCHAR[], s.cluster_id))
ORDER BY ps.snapshot_id;
