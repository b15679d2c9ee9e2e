-- The stored passages of the given snapshots, for re-matching the lexicon.
-- $1: VARCHAR[] of snapshot ids
SELECT snapshot_id, seq, text
FROM passages
WHERE list_contains($1::VARCHAR[], snapshot_id)
ORDER BY snapshot_id, seq;
