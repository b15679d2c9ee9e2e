-- Split snapshots whose lexicon columns were computed with another lexicon version, or whose
-- technology terms with another technology lexicon (or not at all: rows from before 0009).
-- $1: current lexicon hash, $2: VARCHAR[] of cluster ids, or NULL for all;
-- $3: current technology lexicon hash
SELECT ps.snapshot_id
FROM passage_sets ps
JOIN page_snapshots s ON s.snapshot_id = ps.snapshot_id
WHERE (ps.lexicon_hash <> $1 OR ps.technology_hash IS DISTINCT FROM $3)
  AND ($2::VARCHAR[] IS NULL OR list_contains($2::VARCHAR[], s.cluster_id))
ORDER BY ps.snapshot_id;
